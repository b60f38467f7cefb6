/** Where a page's content draws an image: the image's name and its unit square's scale and offset, in points. */
export interface ImagePlacement {
  name: string;
  width: number;
  height: number;
  x: number;
  y: number;
}

/** A PDF transformation matrix [a b c d e f]. */
type Matrix = [number, number, number, number, number, number];

/** `m` applied before `n` (PDF's order for `cm`: the new matrix, then the current one). */
const times = ([a, b, c, d, e, f]: Matrix, [a2, b2, c2, d2, e2, f2]: Matrix): Matrix => [
  a * a2 + b * c2,
  a * b2 + b * d2,
  c * a2 + d * c2,
  c * b2 + d * d2,
  e * a2 + f * c2 + e2,
  e * b2 + f * d2 + f2,
];

/**
 * The placement of the one image a page's content stream draws, when it draws exactly that and nothing
 * else, upright: only `q`/`Q`, `cm`, and one `Do`, with the matrix in effect at `Do` free of rotation,
 * skew and flips. Null for anything else (text, paths, clips, graphics states, inline images, several
 * images, a flipped or turned image), which is then rendered rather than read from the image's pixels.
 */
export function onlyImagePlacement(content: string): ImagePlacement | null {
  const tokens = content
    .replace(/%[^\r\n]*/g, " ")
    .trim()
    .split(/[\s\0]+/);
  let matrix: Matrix = [1, 0, 0, 1, 0, 0];
  const saved: Matrix[] = [];
  let operands: string[] = [];
  let placement: ImagePlacement | null = null;
  for (const token of tokens) {
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(token) || /^\/[^\s/[\]()<>{}%]+$/.test(token)) {
      operands.push(token);
      continue;
    }
    const numbers = operands.map(Number);
    if (token === "q" && operands.length === 0) saved.push(matrix);
    else if (token === "Q" && operands.length === 0 && saved.length > 0) matrix = saved.pop() as Matrix;
    else if (token === "cm" && operands.length === 6 && numbers.every(Number.isFinite)) {
      matrix = times(numbers as Matrix, matrix);
    } else if (token === "Do" && operands.length === 1 && operands[0]?.startsWith("/") && placement === null) {
      const [a, b, c, d, e, f] = matrix;
      if (b !== 0 || c !== 0 || a <= 0 || d <= 0) return null;
      placement = { name: operands[0], width: a, height: d, x: e, y: f };
    } else return null;
    operands = [];
  }
  return operands.length === 0 ? placement : null;
}
