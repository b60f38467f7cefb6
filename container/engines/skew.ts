/**
 * How far the lines of text on a page are turned, measured on a small grayscale picture of it
 * (one byte per pixel, rows top to bottom): the angle at which the dark pixels, projected onto a
 * line perpendicular to the text, pile up into the sharpest rows (a projection profile). A page
 * turned a quarter has its lines running down the page: its columns pile up instead.
 */
export interface Skew {
  /** Degrees the text lines are turned clockwise from level (|angle| ≤ the range searched). */
  angle: number;
  /** The lines run down the page: it is turned by about 90° (which way is for orientation detection to say). */
  vertical: boolean;
  /**
   * Level lines whose letters reach below them far more than above: mixed-case Latin text upside down
   * (ascenders and capitals, above the line's core, outweigh descenders below it when it is upright).
   * False when unsure (all capitals, too few lines), never a guess.
   */
  upsideDown: boolean;
}

/** Fewer dark pixels than this is not a page of text: nothing to measure. */
const MIN_INK = 200;
/** A page with more of it dark than this is not a page of text. */
const MAX_INK_SHARE = 0.25;
/** How much sharper than at a typical angle the best angle's rows must be to be lines of text. */
const MIN_PEAK = 1.3;
/** At most this many dark pixels are projected (evenly picked), which bounds the time. */
const MAX_POINTS = 40_000;
/**
 * Upside down when the ink above the lines' cores is under this share of the ink below them (upright
 * mixed-case text measured 1.7–4.7, the same pages upside down 0.2–0.5, capitals alone 0.6–3), with at
 * least MIN_EDGE_INK of the ink outside the cores (capitals alone leave almost none) over MIN_LINES lines.
 */
const UPSIDE_DOWN_RATIO = 0.55;
const MIN_EDGE_INK = 0.04;
const MIN_LINES = 3;
const NONE: Skew = { angle: 0, vertical: false, upsideDown: false };

export function measureSkew(gray: Uint8Array, width: number, height: number, maxDegrees = 10): Skew {
  const threshold = otsuThreshold(gray);
  let ink = 0;
  for (const value of gray) if (value < threshold) ink++;
  // Print covers a few percent of a page; much more is a photograph, a drawing or noise: no lines to level.
  if (ink < MIN_INK || ink > gray.length * MAX_INK_SHARE) return NONE;
  const stride = Math.max(1, Math.ceil(ink / MAX_POINTS));
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0, seen = 0; i < gray.length; i++) {
    if ((gray[i] as number) < threshold && seen++ % stride === 0) {
      xs.push(i % width);
      ys.push(Math.floor(i / width));
    }
  }
  const size = Math.ceil(Math.hypot(width, height)) * 2 + 2;
  const bins = new Float64Array(size);
  /** How sharply the points pile up into rows when projected across `degrees` (clockwise) lines. */
  const sharpness = (degrees: number, vertical: boolean) => {
    const radians = (degrees * Math.PI) / 180;
    const cos = Math.cos(radians);
    const sin = Math.sin(radians);
    bins.fill(0);
    for (let i = 0; i < xs.length; i++) {
      const x = xs[i] as number;
      const y = ys[i] as number;
      // Level lines: their rows are y − x·tan(angle); lines running down: their columns are x + y·tan(angle).
      const at = vertical ? x * cos + y * sin : y * cos - x * sin;
      const bin = Math.round(at) + (size >> 1);
      bins[bin] = (bins[bin] as number) + 1;
    }
    let score = 0;
    for (const count of bins) score += count * count;
    return score;
  };
  const best = (vertical: boolean) => {
    let angle = 0;
    let score = -1;
    const coarse: number[] = [];
    const search = (from: number, to: number, step: number, scores?: number[]) => {
      for (let degrees = from; degrees <= to + 1e-9; degrees += step) {
        const s = sharpness(degrees, vertical);
        scores?.push(s);
        if (s > score) [angle, score] = [degrees, s];
      }
    };
    search(-maxDegrees, maxDegrees, 0.5, coarse);
    search(angle - 0.5, angle + 0.5, 0.05);
    const median = [...coarse].sort((a, b) => a - b)[coarse.length >> 1] ?? score;
    return { angle, score, peak: score / median };
  };
  const level = best(false);
  const down = best(true);
  const [winner, vertical] = down.score > level.score ? [down, true] : [level, false];
  // Lines of text pile up sharply at one angle; a picture or noise looks much the same at any.
  if (winner.peak < MIN_PEAK) return NONE;
  if (vertical) return { angle: round(-winner.angle), vertical, upsideDown: false };
  sharpness(winner.angle, false); // the rows' profile at that angle, in `bins`
  return { angle: round(winner.angle), vertical, upsideDown: readsUpsideDown(bins) };
}

/**
 * Whether a profile of level lines (dark pixels per row) looks upside down: in each line, the rows
 * around its peak holding at least half of it are its core (the letters' x-height); the ink of the
 * line's rows above and below the core is compared over all lines.
 */
function readsUpsideDown(profile: Float64Array): boolean {
  let max = 0;
  let total = 0;
  for (const count of profile) {
    max = Math.max(max, count);
    total += count;
  }
  let above = 0;
  let below = 0;
  let lines = 0;
  for (let start = 0; start < profile.length; ) {
    if ((profile[start] as number) < 0.1 * max) {
      start++;
      continue;
    }
    let end = start;
    let lineMax = 0;
    while (end < profile.length && (profile[end] as number) >= 0.1 * max)
      lineMax = Math.max(lineMax, profile[end++] as number);
    let coreStart = start;
    while ((profile[coreStart] as number) < 0.5 * lineMax) coreStart++;
    let coreEnd = end - 1;
    while ((profile[coreEnd] as number) < 0.5 * lineMax) coreEnd--;
    for (let row = start; row < coreStart; row++) above += profile[row] as number;
    for (let row = coreEnd + 1; row < end; row++) below += profile[row] as number;
    lines++;
    start = end;
  }
  return lines >= MIN_LINES && above + below >= MIN_EDGE_INK * total && above < UPSIDE_DOWN_RATIO * below;
}

const round = (degrees: number) => Math.round(degrees * 100) / 100 || 0;

/** The grey level that best splits the picture into ink and paper (Otsu's method). */
function otsuThreshold(gray: Uint8Array): number {
  const histogram = new Float64Array(256);
  for (const value of gray) histogram[value] = (histogram[value] as number) + 1;
  let sum = 0;
  for (let level = 0; level < 256; level++) sum += level * (histogram[level] as number);
  let below = 0;
  let sumBelow = 0;
  let best = 128;
  let bestVariance = -1;
  for (let level = 0; level < 256; level++) {
    below += histogram[level] as number;
    if (below === 0) continue;
    const above = gray.length - below;
    if (above === 0) break;
    sumBelow += level * (histogram[level] as number);
    const meanBelow = sumBelow / below;
    const meanAbove = (sum - sumBelow) / above;
    const variance = below * above * (meanBelow - meanAbove) ** 2;
    if (variance > bestVariance) [best, bestVariance] = [level + 1, variance];
  }
  return best;
}
