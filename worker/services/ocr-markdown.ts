import type { OcrPage, OcrResult } from "../../contracts";
import { withGaps } from "./render-result";

/**
 * An OCR result as Markdown, for readers used to docling's or OCRmyPDF's output. Built only from the boxes
 * Tesseract or a PDF's text layer gives (pages > blocks > lines > words); every threshold is relative to the
 * page, so pixels and points work alike.
 *
 * What is detected:
 * - Pages in page order, each opened by `<!-- page N -->` (the document's own page number), and a visible
 *   `[pages 3–4 not extracted: code]` line where a part failed, as the plain-text result has.
 * - Reading order: blocks are cut into columns where a vertical gutter runs between them (left to right), and
 *   into horizontal bands otherwise; full-width blocks (a title) break the columns where they sit. Blocks that
 *   share no gap at all are read top to bottom.
 * - Paragraphs: a block's lines joined with spaces; a line ending in "letter-" followed by one starting with a
 *   lowercase letter is joined without the hyphen (so "well-" + "known" reads "wellknown": a known cost).
 *   A block splits into paragraphs at a line gap over 1.8 × the page's median line gap (and over half a line).
 *   First-line indents are not read.
 * - Headings: a run of at most 2 lines each at least 1.12 × the tallest body line (body lines: up to 1.45 ×
 *   the median line height, as ascenders and descenders make them differ). Levels by size on the
 *   page: the largest headings `#`, the next `##`, any smaller `###` (sizes within 15 % are one level).
 *   Heading levels are relative to each page, not to the document.
 * - Blocks that continue one another (the next one below, overlapping it across) are one flow of lines,
 *   split into paragraphs by the gaps between lines, not by where the engine ended its blocks.
 * - Lists: a line starting with a bullet (• · ● ◦ ▪ ■ - * – o) or `1.`, `1)`, `a)` followed by a space starts an
 *   item when it opens a paragraph, follows another item, or follows a line ending in ":". Following lines
 *   are joined to the item. Items are flat (no nesting); numbers are kept, `a)` items become bullets.
 * - Tables: at least 3 consecutive lines of one block whose words fall into the same number (≥ 2) of groups
 *   separated by gaps of at least a line height, with a gap common to every row between each two columns, and
 *   at most 4 words per cell on average. The first row is the header; `|` in cells is escaped. Rows with an
 *   empty cell, or tables the engine split into one block per column or row, stay text.
 * - Escaping: only at the start of a paragraph, where a character would start Markdown syntax (`#`, `>`, `-`,
 *   `+`, `*`, `=`, `_`, `` ` ``, `~`, `|`, `<`, or a number followed by `.` or `)`). Inline emphasis characters
 *   are left as read.
 * Not detected: images and figures, nested lists, captions, footnotes, headers and footers, bold or italics.
 */
export function ocrMarkdown(result: OcrResult): string {
  const pages = result.pages.map((page) => ({ at: page.page, text: pageMarkdown(page) }));
  return `${withGaps(pages, result.failed_parts).join("\n\n")}\n`;
}

type Block = OcrPage["blocks"][number];
type Line = Block["lines"][number];
type Box = Line["bbox"];
/** A rendered piece of a page; items of the same kind of list are joined by one newline, all else by a blank line. */
type Element = { markdown: string; list: "bullet" | "ordered" | null };
type PageMetrics = { bodyHeight: number; paragraphGap: number; headingLevels: number[] };

/**
 * Body lines differ in height by their letters: one with ascenders and descenders ("gly") is up to
 * about 1.4 × one of small letters only. Lines up to DESCENDER_RATIO × the median height are body
 * text; a heading is at least HEADING_RATIO × the tallest of them.
 */
const DESCENDER_RATIO = 1.45;
const HEADING_RATIO = 1.12;
/** Heading heights within this ratio of each other are one level; `#` is the page's largest. */
const SAME_LEVEL_RATIO = 1.15;
const HEADING_MARKERS = ["#", "##", "###"];
const MAX_HEADING_LINES = 2;
const PARAGRAPH_GAP_RATIO = 1.8;
const MIN_PARAGRAPH_GAP = 0.5;
/** A vertical gap this share of the page's width between blocks is a column gutter. */
const GUTTER_RATIO = 0.01;
const CELL_GAP_RATIO = 1;
const MIN_TABLE_ROWS = 3;
const MAX_WORDS_PER_CELL = 4;
const BULLET = /^[•·●◦▪■*–o-]\s+/u;
const NUMBERED = /^(\d{1,3})[.)]\s+/;
const LETTERED = /^[a-z]\)\s+/;

const height = (box: Box) => box[3] - box[1];

/** The lower median (0 when empty). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}

function pageMarkdown(page: OcrPage): string {
  const header = `<!-- page ${page.page} -->`;
  const blocks = page.blocks
    .map((block) => ({ ...block, lines: block.lines.filter((line) => line.text.trim() !== "") }))
    .filter((block) => block.lines.length > 0);
  if (blocks.length === 0) {
    // No layout (or no text): the page's text as paragraphs, if it has any.
    const paragraphs = page.text.split(/\n\s*\n/).map((p) => p.trim().split(/\s*\n\s*/));
    const body = paragraphs.filter((lines) => lines[0] !== "").map((lines) => escapeStart(joinLines(lines)));
    return [header, ...body].join("\n\n");
  }
  const heights = blocks.flatMap((block) => block.lines.map((line) => height(line.bbox)));
  const typical = median(heights);
  const bodyHeight = Math.max(0, ...heights.filter((h) => h <= DESCENDER_RATIO * typical));
  const lineGaps = blocks.flatMap((block) =>
    block.lines.slice(1).map((line, i) => Math.max(0, line.bbox[1] - (block.lines[i]?.bbox[3] ?? line.bbox[1]))),
  );
  const metrics: PageMetrics = {
    bodyHeight,
    paragraphGap: Math.max(PARAGRAPH_GAP_RATIO * median(lineGaps), MIN_PARAGRAPH_GAP * bodyHeight),
    headingLevels: headingLevels(heights.filter((h) => bodyHeight > 0 && h >= HEADING_RATIO * bodyHeight)),
  };
  const ordered = readingOrder(blocks, GUTTER_RATIO * page.width);
  const elements = textFlows(ordered).flatMap((block) => blockElements(block, metrics));
  let markdown = header;
  let previous: Element | undefined;
  for (const element of elements) {
    markdown += (element.list && previous?.list === element.list ? "\n" : "\n\n") + element.markdown;
    previous = element;
  }
  return markdown;
}

/**
 * The smallest height of each heading level, largest level first: a height within SAME_LEVEL_RATIO of
 * its level's largest shares it. Levels past the third are written as the third.
 */
function headingLevels(headingHeights: number[]): number[] {
  const levels: { top: number; smallest: number }[] = [];
  for (const h of [...headingHeights].sort((a, b) => b - a)) {
    const current = levels.at(-1);
    if (current && h * SAME_LEVEL_RATIO >= current.top) current.smallest = h;
    else levels.push({ top: h, smallest: h });
  }
  return levels.map((level) => level.smallest);
}

/**
 * Blocks in reading order joined where one continues the text of the one before: the next block
 * below it, overlapping it across. The engine often ends a block inside a paragraph; paragraphs are
 * told apart by their gaps afterwards (paragraphsOf), not by the engine's blocks.
 */
function textFlows(ordered: Block[]): Block[] {
  const flows: Block[] = [];
  for (const block of ordered) {
    const previous = flows.at(-1);
    const below = previous !== undefined && block.bbox[1] >= previous.bbox[3] - height(previous.bbox) * 0.1;
    const across = previous !== undefined && block.bbox[0] < previous.bbox[2] && block.bbox[2] > previous.bbox[0];
    if (previous && below && across) {
      flows[flows.length - 1] = {
        bbox: [
          Math.min(previous.bbox[0], block.bbox[0]),
          previous.bbox[1],
          Math.max(previous.bbox[2], block.bbox[2]),
          block.bbox[3],
        ],
        lines: [...previous.lines, ...block.lines],
      };
    } else flows.push(block);
  }
  return flows;
}

/** Blocks split where their boxes' projections on the x (0) or y (1) axis leave a gap wider than `minGap`. */
function splitAtGaps(blocks: Block[], axis: 0 | 1, minGap: number): Block[][] {
  const groups: Block[][] = [];
  let end = Number.NEGATIVE_INFINITY;
  for (const block of [...blocks].sort((a, b) => a.bbox[axis] - b.bbox[axis])) {
    const current = groups.at(-1);
    if (current && block.bbox[axis] - end <= minGap) current.push(block);
    else groups.push([block]);
    end = Math.max(end, block.bbox[axis + 2] ?? end);
  }
  return groups;
}

/**
 * Columns first (left to right), then horizontal bands top to bottom. Consecutive bands stay together while
 * they still share a gutter, so that paragraph gaps that happen to align across columns do not interleave them;
 * a band with a full-width block (a title) starts a new section.
 */
function readingOrder(blocks: Block[], gutter: number): Block[] {
  if (blocks.length <= 1) return blocks;
  const columns = splitAtGaps(blocks, 0, gutter);
  if (columns.length > 1) return columns.flatMap((column) => readingOrder(column, gutter));
  const bands = splitAtGaps(blocks, 1, 0);
  if (bands.length === 1) return [...blocks].sort((a, b) => a.bbox[1] - b.bbox[1] || a.bbox[0] - b.bbox[0]);
  // At least two sections: had every band joined, all the blocks would share a gutter, split above.
  const sections: Block[][] = [];
  for (const band of bands) {
    const last = sections.at(-1);
    if (last && splitAtGaps([...last, ...band], 0, gutter).length > 1) last.push(...band);
    else sections.push([...band]);
  }
  return sections.flatMap((section) => readingOrder(section, gutter));
}

function blockElements(block: Block, metrics: PageMetrics): Element[] {
  const elements: Element[] = [];
  let text: Line[] = [];
  const flushText = () => {
    elements.push(...paragraphsOf(text, metrics).flatMap((lines) => paragraphElements(lines, metrics)));
    text = [];
  };
  for (let i = 0; i < block.lines.length; ) {
    const rows = tableRowsFrom(block.lines, i);
    if (rows.length >= MIN_TABLE_ROWS) {
      flushText();
      elements.push({ markdown: tableMarkdown(rows), list: null });
      i += rows.length;
    } else {
      text.push(...block.lines.slice(i, i + 1));
      i += 1;
    }
  }
  flushText();
  return elements;
}

/** Lines split at a clearly larger gap, and where heading-sized lines start or end. */
function paragraphsOf(lines: Line[], metrics: PageMetrics): Line[][] {
  const paragraphs: Line[][] = [];
  lines.forEach((line, i) => {
    const previous = lines[i - 1];
    const current = paragraphs.at(-1);
    const sameParagraph =
      previous !== undefined &&
      line.bbox[1] - previous.bbox[3] <= metrics.paragraphGap &&
      isTall(line, metrics) === isTall(previous, metrics);
    if (current && sameParagraph) current.push(line);
    else paragraphs.push([line]);
  });
  return paragraphs;
}

function isTall(line: Line, metrics: PageMetrics): boolean {
  return metrics.bodyHeight > 0 && height(line.bbox) >= HEADING_RATIO * metrics.bodyHeight;
}

function paragraphElements(lines: Line[], metrics: PageMetrics): Element[] {
  const texts = lines.map((line) => line.text.trim());
  if (lines.length <= MAX_HEADING_LINES && lines.every((line) => isTall(line, metrics))) {
    const tallest = Math.max(...lines.map((line) => height(line.bbox)));
    const level = metrics.headingLevels.findIndex((smallest) => tallest >= smallest);
    const marker = HEADING_MARKERS[Math.min(Math.max(level, 0), HEADING_MARKERS.length - 1)];
    return [{ markdown: `${marker} ${joinLines(texts)}`, list: null }];
  }
  // Prose until the first line that starts an item; then one item per marker line.
  const chunks: { marker: string | null; texts: string[] }[] = [];
  texts.forEach((text, i) => {
    const item = listItem(text);
    const current = chunks.at(-1);
    const itemMayStart = i === 0 || current?.marker != null || texts[i - 1]?.endsWith(":") === true;
    if (item && itemMayStart) chunks.push({ marker: item.marker, texts: [item.text] });
    else if (current) current.texts.push(text);
    else chunks.push({ marker: null, texts: [text] });
  });
  return chunks.map(({ marker, texts }): Element => {
    const body = escapeStart(joinLines(texts));
    if (marker === null) return { markdown: body, list: null };
    return { markdown: `${marker} ${body}`, list: marker === "-" ? "bullet" : "ordered" };
  });
}

/** The Markdown marker and the text of a list item line, or null when the line is not one. */
function listItem(text: string): { marker: string; text: string } | null {
  const numbered = NUMBERED.exec(text);
  if (numbered) return { marker: `${numbered[1]}.`, text: text.slice(numbered[0].length) };
  const lettered = LETTERED.exec(text);
  if (lettered) return { marker: "-", text: `${text.slice(0, 2)} ${text.slice(lettered[0].length)}` };
  const bullet = BULLET.exec(text);
  return bullet ? { marker: "-", text: text.slice(bullet[0].length) } : null;
}

/** Lines joined by spaces; "extrac-" + "tion" becomes "extraction". */
function joinLines(texts: string[]): string {
  return texts.reduce((joined, text) =>
    /\p{L}-$/u.test(joined) && /^\p{Ll}/u.test(text) ? joined.slice(0, -1) + text : `${joined} ${text}`,
  );
}

function escapeStart(text: string): string {
  const number = /^\d{1,9}(?=[.)](\s|$))/.exec(text);
  if (number) return `${number[0]}\\${text.slice(number[0].length)}`;
  return /^[#>+*=_`~|<-]/.test(text) ? `\\${text}` : text;
}

type Cell = { text: string; x0: number; x1: number };

/** A line's words grouped where the gap between two words is at least the line's height. */
function cellsOf(line: Line): Cell[] {
  const cells: Cell[] = [];
  for (const word of line.words) {
    const current = cells.at(-1);
    if (current && word.bbox[0] - current.x1 < CELL_GAP_RATIO * height(line.bbox)) {
      current.text += ` ${word.text}`;
      current.x1 = word.bbox[2];
    } else cells.push({ text: word.text, x0: word.bbox[0], x1: word.bbox[2] });
  }
  return cells;
}

/** The longest run of lines from `start` whose cells line up in the same columns (maybe shorter than a table). */
function tableRowsFrom(lines: Line[], start: number): Cell[][] {
  const rows: Cell[][] = [];
  for (const line of lines.slice(start)) {
    const cells = cellsOf(line);
    const candidate = [...rows, cells];
    if (cells.length < 2 || cells.length !== (rows[0] ?? cells).length || !sharesGutters(candidate)) break;
    rows.push(cells);
  }
  const cellCount = rows.length * (rows[0]?.length ?? 0);
  const words = rows.flat().reduce((sum, cell) => sum + cell.text.split(" ").length, 0);
  return words <= MAX_WORDS_PER_CELL * cellCount ? rows : [];
}

/** Whether, between each two neighbouring columns, some x lies right of every left cell and left of every right one. */
function sharesGutters(rows: Cell[][]): boolean {
  const columns = rows[0]?.length ?? 0;
  for (let c = 1; c < columns; c++) {
    const leftEnd = Math.max(...rows.map((row) => row[c - 1]?.x1 ?? Number.POSITIVE_INFINITY));
    const rightStart = Math.min(...rows.map((row) => row[c]?.x0 ?? Number.NEGATIVE_INFINITY));
    if (leftEnd >= rightStart) return false;
  }
  return true;
}

function tableMarkdown(rows: Cell[][]): string {
  const row = (cells: string[]) => `| ${cells.join(" | ")} |`;
  const [header = [], ...body] = rows.map((cells) => cells.map((cell) => cell.text.replaceAll("|", "\\|")));
  return [row(header), row(header.map(() => "---")), ...body.map(row)].join("\n");
}
