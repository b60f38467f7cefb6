import type { OcrPage } from "../../../../contracts/results";

type BBox = OcrPage["blocks"][number]["bbox"];

/**
 * What the page's invisible text layer holds, in reading order: a piece of text over its box (a
 * word, or a whole line when the line has no word boxes), and between pieces the text that joins
 * them when the selection is copied (a space between the words of a line, a line break between
 * lines, a blank line between blocks, as in the page's text). A word's box spans its line's height
 * (a word's own box is only as high as its letters), so a selection reads as even lines.
 */
export type TextLayerItem = { kind: "text"; text: string; bbox: BBox; line: number } | { kind: "gap"; text: string };

/** The page's text as pieces over their boxes; `line` is the index of the piece's line in the page's lines. */
export function textLayerItems(page: Pick<OcrPage, "blocks">): TextLayerItem[] {
  const items: TextLayerItem[] = [];
  let line = -1;
  let gap = "";
  for (const block of page.blocks) {
    for (const [l, ocrLine] of block.lines.entries()) {
      line++;
      if (items.length > 0) gap = l === 0 ? "\n\n" : "\n";
      const words = ocrLine.words.filter((word) => word.text.trim() !== "");
      const pieces = words.length > 0 ? words : ocrLine.text.trim() !== "" ? [ocrLine] : [];
      for (const piece of pieces) {
        if (gap) items.push({ kind: "gap", text: gap });
        const [x0, , x1] = piece.bbox;
        items.push({ kind: "text", text: piece.text, bbox: [x0, ocrLine.bbox[1], x1, ocrLine.bbox[3]], line });
        gap = " ";
      }
    }
  }
  return items;
}

/**
 * How much a piece's text must be stretched across (scaleX) to cover its box, when it is set in a
 * font whose size is the box's height: `measuredAt100` is the text's width in that font at 100 px.
 * The same at any zoom (size and width both follow the page). 1 when the text has no width.
 */
export function stretchToBox(bbox: BBox, measuredAt100: number): number {
  const [x0, y0, x1, y1] = bbox;
  const width = x1 - x0;
  const height = y1 - y0;
  if (measuredAt100 <= 0 || height <= 0 || width <= 0) return 1;
  return width / ((measuredAt100 * height) / 100);
}

/**
 * The line at a point of the page (in the page's units), or null: the smallest box that holds the
 * point, so a line inside another's box (an overlap the engine left) is still reachable.
 */
export function lineAt(lines: readonly { bbox: BBox }[], x: number, y: number): number | null {
  let found: number | null = null;
  let foundArea = Number.POSITIVE_INFINITY;
  for (const [i, { bbox }] of lines.entries()) {
    const [x0, y0, x1, y1] = bbox;
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    const area = (x1 - x0) * (y1 - y0);
    if (area < foundArea) {
      found = i;
      foundArea = area;
    }
  }
  return found;
}

export type TextPiece = Extract<TextLayerItem, { kind: "text" }>;

/**
 * Where a point of the page (in its units) falls in the text, as a selection made from there would
 * start or end: in the line nearest to the point (nearest vertically first), at the character under
 * it, or at the start or end of the word nearest to it in that line. `offsetIn` finds the character in a piece at `x`. Null on
 * a page with no text.
 */
export function caretAt(
  pieces: readonly TextPiece[],
  x: number,
  y: number,
  offsetIn: (piece: TextPiece, x: number) => number,
): { piece: number; offset: number } | null {
  const lines = new Map<number, number[]>();
  for (const [i, piece] of pieces.entries()) lines.set(piece.line, [...(lines.get(piece.line) ?? []), i]);
  let nearest: number[] | undefined;
  let nearestDistance = Number.POSITIVE_INFINITY;
  for (const members of lines.values()) {
    const boxes = members.map((i) => (pieces[i] as TextPiece).bbox);
    const x0 = Math.min(...boxes.map((b) => b[0]));
    const x1 = Math.max(...boxes.map((b) => b[2]));
    const y0 = Math.min(...boxes.map((b) => b[1]));
    const y1 = Math.max(...boxes.map((b) => b[3]));
    const dx = Math.max(x0 - x, 0, x - x1);
    const dy = Math.max(y0 - y, 0, y - y1);
    // Across counts less than down: beside a short line is in it, not in a longer one above it.
    const distance = dy + dx / 4;
    if (distance < nearestDistance) {
      nearest = members;
      nearestDistance = distance;
    }
  }
  if (!nearest) return null;
  let before: number | null = null;
  for (const i of nearest) {
    const piece = pieces[i] as TextPiece;
    const [x0, , x1] = piece.bbox;
    if (x < x0) {
      // In the gap before this word: the nearer of its start and the previous word's end.
      const previous = before === null ? null : (pieces[before] as TextPiece);
      if (previous && x - previous.bbox[2] < x0 - x) return { piece: before as number, offset: previous.text.length };
      return { piece: i, offset: 0 };
    }
    if (x <= x1) return { piece: i, offset: offsetIn(piece, x) };
    before = i;
  }
  const last = nearest[nearest.length - 1] as number;
  return { piece: last, offset: (pieces[last] as TextPiece).text.length };
}

/**
 * The character boundary of `text` nearest to `fraction` (0–1) of its width, the width of a prefix
 * being what `measure` says (the text is stretched evenly over its box, so fractions carry over).
 */
export function offsetAt(text: string, fraction: number, measure: (text: string) => number): number {
  const total = measure(text);
  if (total <= 0 || text.length === 0) return Math.round(Math.min(1, Math.max(0, fraction)) * text.length);
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= text.length; k++) {
    const distance = Math.abs(measure(text.slice(0, k)) / total - fraction);
    if (distance < bestDistance) {
      best = k;
      bestDistance = distance;
    }
  }
  return best;
}
