import type { GrayPicture } from "./pdf-image-stream";

/** A page is cut into this many tiles across (and as many down as make them square) to find its paper. */
const TILES_ACROSS = 20;
/** Print covers less than a tenth of a tile of text: the 90th percentile of its pixels is the paper. */
const PAPER_PERCENTILE = 0.6;

/** The brightness of the paper in each tile of `picture`, row by row. */
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
  return { size, across, down, levels };
}

/**
 * How evenly a page is lit, from a grey picture of it: the darkest paper against the brightest, each
 * the 10th and 90th percentile of its tiles' paper so that a photo or a dark table header on the page
 * does not count. A flatbed scan is about 1; a phone photo with a shadow, or light falling off
 * towards an edge, 0.6 and less.
 */
export function paperEvenness(picture: GrayPicture): number {
  const papers = [...paperLevels(picture).levels].sort((a, b) => a - b);
  const dark = papers[Math.floor((papers.length - 1) * 0.1)] ?? 0;
  const bright = papers[Math.ceil((papers.length - 1) * 0.9)] ?? 0;
  return bright === 0 ? 1 : dark / bright;
}

/**
 * `picture` as if evenly lit (a scanner app's "document" look): each pixel divided by the paper's
 * brightness around it (its tile's, blended smoothly from tile to tile), so that paper is white
 * everywhere and ink keeps its contrast against it. Only a tile all of ink (a solid fill larger than
 * a tile) is taken for paper, and washed out.
 */
export function flattenLight(picture: GrayPicture): GrayPicture {
  const { pixels, width, height } = picture;
  const { size, across, down, levels } = paperLevels(picture);
  const at = (tx: number, ty: number) => Math.max(1, levels[ty * across + tx] ?? 255);
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
