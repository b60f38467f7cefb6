import type { OcrPage } from "../../contracts/results";

export type OcrBlock = OcrPage["blocks"][number];
export type OcrLine = OcrBlock["lines"][number];
export type OcrWord = OcrLine["words"][number];
export type BBox = OcrWord["bbox"];

/** What an OCR engine or text layer knows about one page; the pipeline adds the page number, unit and source. */
export type PageLayout = Pick<OcrPage, "width" | "height" | "text" | "blocks">;

/** The smallest box holding all `boxes` (which must not be empty). */
export function unionBox(boxes: readonly BBox[]): BBox {
  return [
    Math.min(...boxes.map((b) => b[0])),
    Math.min(...boxes.map((b) => b[1])),
    Math.max(...boxes.map((b) => b[2])),
    Math.max(...boxes.map((b) => b[3])),
  ];
}

/** A line from its words (not empty): text joined by spaces, the union box and the mean confidence. */
export function lineOf(words: readonly OcrWord[]): OcrLine {
  return {
    text: words.map((w) => w.text).join(" "),
    bbox: unionBox(words.map((w) => w.bbox)),
    confidence: words.reduce((sum, w) => sum + w.confidence, 0) / words.length,
    words: [...words],
  };
}

export function blockOf(lines: readonly OcrLine[]): OcrBlock {
  return { bbox: unionBox(lines.map((l) => l.bbox)), lines: [...lines] };
}

/** Lines joined by newlines, blocks separated by a blank line. */
export function layoutText(blocks: readonly OcrBlock[]): string {
  return blocks.map((block) => block.lines.map((line) => line.text).join("\n")).join("\n\n");
}
