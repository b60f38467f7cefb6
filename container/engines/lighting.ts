import type { GrayPicture } from "./pdf-image-stream";

/** A page is cut into this many tiles across (and as many down as make them square) to find its paper. */
const TILES_ACROSS = 20;
/**
 * Print covers well under half of a tile of text, and a white margin turned into a tile's corner
 * (a page photographed or scanned askew) less: the 60th percentile of its pixels is the paper.
 */
const PAPER_PERCENTILE = 0.6;
/**
 * Paper darker than this share of the page's bright paper is no paper in shade but a dark fill: the
 * deepest shadow across a photographed page measured 0.45 of its lit paper, a dark title band 0.13.
 */
const DARKEST_SHADE = 0.3;
/** Fewer tiles of paper than this share of the page: too little to judge its light by (left as it is). */
const MIN_PAPER_SHARE = 0.25;

/** The brightness of the paper in each tile of `picture`, row by row; NaN where a tile is no paper. */
function paperLevels({ pixels, width, height }: GrayPicture) {
  const size = Math.max(1, Math.floor(width / TILES_ACROSS));
  const across = Math.max(1, Math.ceil(width / size));
  const down = Math.max(1, Math.ceil(height / size));
  const levels = new Float64Array(across * down);
  const histogram = new Uint32Array(256);
  for (let ty = 0; ty < down; ty++) {
    for (let tx = 0; tx < across; tx++) {
      histogram.fill(0);
      let count = 0;
      for (let y = ty * size; y < Math.min(height, (ty + 1) * size); y++) {
        for (let x = tx * size; x < Math.min(width, (tx + 1) * size); x++) {
          const value = pixels[y * width + x] ?? 0;
          histogram[value] = (histogram[value] ?? 0) + 1;
          count++;
        }
      }
      levels[ty * across + tx] = percentileOf(histogram, count, PAPER_PERCENTILE);
    }
  }
  // Far darker than the page's bright paper: a dark fill (a title band, a table header), no shade.
  const bright = brightPaper(levels);
  for (let i = 0; i < levels.length; i++) if ((levels[i] ?? 0) < bright * DARKEST_SHADE) levels[i] = Number.NaN;
  return { size, across, down, levels };
}

/** The paper's brightness where it is brightest: the 90th percentile of the tiles of paper. */
function brightPaper(levels: Float64Array): number {
  const papers = [...levels].filter((level) => !Number.isNaN(level)).sort((a, b) => a - b);
  return papers[Math.ceil((papers.length - 1) * 0.9)] ?? 0;
}

/**
 * How evenly a page is lit, from a grey picture of it: the darkest paper against the brightest, each
 * the 10th and 90th percentile of its tiles of paper; tiles far darker than any shade (a dark title
 * band, a table header, light marks on a dark ground) are no paper and do not count. A flatbed scan
 * is about 1; a phone photo with a shadow, or light falling off towards an edge, 0.6 and less. 1 when
 * too little of the page is paper to tell.
 */
export function paperEvenness(picture: GrayPicture): number {
  const { levels } = paperLevels(picture);
  const papers = [...levels].filter((level) => !Number.isNaN(level)).sort((a, b) => a - b);
  if (papers.length < levels.length * MIN_PAPER_SHARE) return 1;
  const dark = papers[Math.floor((papers.length - 1) * 0.1)] ?? 0;
  const bright = brightPaper(levels);
  return bright === 0 ? 1 : dark / bright;
}

/**
 * `picture` as if evenly lit (a scanner app's "document" look): each pixel divided by the paper's
 * brightness around it (its tile's, blended smoothly from tile to tile), so that paper is white
 * everywhere and ink keeps its contrast against it. Tiles far darker than any shade (a dark band)
 * are left as they are, or, beside paper, evened as that paper is; a lighter solid fill larger than a
 * tile is taken for paper in shade, and washed out.
 */
export function flattenLight(picture: GrayPicture): GrayPicture {
  const { pixels, width, height } = picture;
  const { size, across, down, levels } = paperLevels(picture);
  // A tile that is no paper takes the paper of the tiles of paper around it (a white margin beside
  // paper in shade), or, with none around (inside a dark band), is left as it is.
  const paper = levels.map((level, i) => {
    if (!Number.isNaN(level)) return Math.max(1, level);
    const tx = i % across;
    const ty = Math.floor(i / across);
    let sum = 0;
    let count = 0;
    for (let ny = Math.max(0, ty - 1); ny <= Math.min(down - 1, ty + 1); ny++) {
      for (let nx = Math.max(0, tx - 1); nx <= Math.min(across - 1, tx + 1); nx++) {
        const around = levels[ny * across + nx] ?? Number.NaN;
        if (!Number.isNaN(around)) {
          sum += around;
          count++;
        }
      }
    }
    return count > 0 ? Math.max(1, sum / count) : 255;
  });
  const at = (tx: number, ty: number) => paper[ty * across + tx] ?? 255;
  const flat = new Uint8Array(pixels.length);
  for (let y = 0; y < height; y++) {
    // Between the centres of the tiles around the pixel.
    const fy = Math.min(Math.max(y / size - 0.5, 0), down - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, down - 1);
    const wy = fy - y0;
    for (let x = 0; x < width; x++) {
      const fx = Math.min(Math.max(x / size - 0.5, 0), across - 1);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, across - 1);
      const wx = fx - x0;
      const level =
        (at(x0, y0) * (1 - wx) + at(x1, y0) * wx) * (1 - wy) + (at(x0, y1) * (1 - wx) + at(x1, y1) * wx) * wy;
      flat[y * width + x] = Math.min(255, Math.round(((pixels[y * width + x] ?? 0) * 255) / level));
    }
  }
  return { pixels: flat, width, height };
}

/** The value below which `share` of the `count` pixels of a histogram lie. */
function percentileOf(histogram: Uint32Array, count: number, share: number): number {
  const wanted = count * share;
  let seen = 0;
  for (let value = 0; value < 256; value++) {
    seen += histogram[value] ?? 0;
    if (seen >= wanted) return value;
  }
  return 255;
}
