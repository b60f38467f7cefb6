/** Where a page's content draws an image: the image's name and its unit square's scale and offset, in points. */
export interface ImagePlacement {
  name: string;
  width: number;
  height: number;
  x: number;
  y: number;
}

/**
 * The placement of the one image a page's content stream draws, when it draws exactly that and nothing
 * else, upright: only `q`/`Q`, `cm` with positive scales and no rotation, skew or flip, and one `Do`.
 * Null for anything else (text, paths, inline images, several images, a flipped or turned image), which
 * is then rendered rather than read from the image's own pixels.
 */
export function onlyImagePlacement(content: string): ImagePlacement | null {
  const tokens = content
    .replace(/%[^\r\n]*/g, " ")
    .trim()
    .split(/\s+/);
  type Matrix = { a: number; d: number; e: number; f: number };
  let matrix: Matrix = { a: 1, d: 1, e: 0, f: 0 };
  const saved: Matrix[] = [];
  let operands: string[] = [];
  let placement: ImagePlacement | null = null;
  for (const token of tokens) {
    if (/^[+-]?(\d+\.?\d*|\.\d+)$/.test(token) || /^\/\S+$/.test(token)) {
      operands.push(token);
      continue;
    }
    const numbers = operands.map(Number);
    if (token === "q" && operands.length === 0) saved.push(matrix);
    else if (token === "Q" && operands.length === 0 && saved.length > 0) matrix = saved.pop() as Matrix;
    else if (token === "cm" && operands.length === 6 && numbers.every(Number.isFinite)) {
      const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0] = numbers;
      if (b !== 0 || c !== 0 || a <= 0 || d <= 0) return null;
      // The new matrix applies before the current one.
      matrix = { a: a * matrix.a, d: d * matrix.d, e: e * matrix.a + matrix.e, f: f * matrix.d + matrix.f };
    } else if (token === "Do" && operands.length === 1 && operands[0]?.startsWith("/") && placement === null) {
      placement = { name: operands[0], width: matrix.a, height: matrix.d, x: matrix.e, y: matrix.f };
    } else return null;
    operands = [];
  }
  return operands.length === 0 ? placement : null;
}
