import { blockOf, layoutText, lineOf, type OcrWord, type PageLayout } from "./layout";

/** Row levels of tesseract's TSV output (2 = block, 3 = paragraph, 4 = line sit between them). */
const PAGE_LEVEL = 1;
const WORD_LEVEL = 5;
const NUMERIC_COLUMNS = [
  "level",
  "block_num",
  "par_num",
  "line_num",
  "left",
  "top",
  "width",
  "height",
  "conf",
] as const;

type TsvRow = Record<(typeof NUMERIC_COLUMNS)[number], number> & { text: string };

/**
 * Reads tesseract's `tsv` output into one layout per page, each blocks of lines of words, in pixels. A page
 * starts at its level-1 row. Words are level-5 rows with a confidence of 0–100 (structure rows carry -1) and
 * non-blank text. Tesseract's paragraphs are folded into their block, since the contract has no paragraph level.
 */
export function parseTesseractTsv(tsv: string): PageLayout[] {
  const [header = "", ...lines] = tsv.split(/\r?\n/);
  const columnIndex = new Map(header.split("\t").map((name, index) => [name, index]));
  const readRow = (cells: string[]): TsvRow => {
    const row = { text: (cells[columnIndex.get("text") ?? -1] ?? "").trim() } as TsvRow;
    for (const name of NUMERIC_COLUMNS) row[name] = Number(cells[columnIndex.get(name) ?? -1]);
    return row;
  };

  const pages: { width: number; height: number; wordsByLineByBlock: Map<number, Map<string, OcrWord[]>> }[] = [];
  for (const line of lines) {
    if (line === "") continue;
    const row = readRow(line.split("\t"));
    if (row.level === PAGE_LEVEL) pages.push({ width: row.width, height: row.height, wordsByLineByBlock: new Map() });
    const page = pages.at(-1);
    if (!page || row.level !== WORD_LEVEL || !(row.conf >= 0) || row.text === "") continue;
    const wordsByLine = getOrAdd(page.wordsByLineByBlock, row.block_num, () => new Map<string, OcrWord[]>());
    getOrAdd(wordsByLine, `${row.par_num}.${row.line_num}`, () => []).push({
      text: row.text,
      bbox: [row.left, row.top, row.left + row.width, row.top + row.height],
      confidence: Math.round(Math.min(row.conf / 100, 1) * 1000) / 1000,
    });
  }

  return pages.map(({ width, height, wordsByLineByBlock }) => {
    const blocks = [...wordsByLineByBlock.values()].map((wordsByLine) =>
      blockOf([...wordsByLine.values()].map(lineOf)),
    );
    return { width, height, text: layoutText(blocks), blocks };
  });
}

function getOrAdd<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  const existing = map.get(key);
  if (existing !== undefined) return existing;
  const created = create();
  map.set(key, created);
  return created;
}
