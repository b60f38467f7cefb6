import { blockOf, layoutText, lineOf, type OcrLine, type OcrWord, type PageLayout } from "./layout";

/**
 * Reads the first page of `pdftotext -bbox-layout` output (XHTML: page > flow > block > line > word, boxes in
 * points, origin top-left) into the OCR layout shape. Text taken from the PDF itself is exact, so every word
 * gets confidence 1. Poppler's output is regular and machine-written, so targeted patterns are enough here.
 */
export function parseBboxLayout(xhtml: string): PageLayout {
  const page = /<page\b([^>]*)>([\s\S]*?)<\/page>/.exec(xhtml);
  if (!page) return { width: 0, height: 0, text: "", blocks: [] };
  const pageAttributes = attributesOf(page[1] ?? "");

  const blocks = matchAll(/<block\b[^>]*>([\s\S]*?)<\/block>/g, page[2] ?? "")
    .map((blockBody) =>
      matchAll(/<line\b[^>]*>([\s\S]*?)<\/line>/g, blockBody)
        .map((lineBody) => wordsOf(lineBody))
        .filter((words) => words.length > 0)
        .map(lineOf),
    )
    .filter((lines: OcrLine[]) => lines.length > 0)
    .map(blockOf);

  return {
    width: Number(pageAttributes.width ?? 0),
    height: Number(pageAttributes.height ?? 0),
    text: layoutText(blocks),
    blocks,
  };
}

function wordsOf(lineBody: string): OcrWord[] {
  const words: OcrWord[] = [];
  for (const [, attributes = "", body = ""] of lineBody.matchAll(/<word\b([^>]*)>([^<]*)<\/word>/g)) {
    const text = decodeXmlEntities(body).trim();
    if (text === "") continue;
    const { xMin, yMin, xMax, yMax } = attributesOf(attributes);
    words.push({ text, bbox: [round(xMin), round(yMin), round(xMax), round(yMax)], confidence: 1 });
  }
  return words;
}

/** The first capture group of every match. */
function matchAll(pattern: RegExp, text: string): string[] {
  return [...text.matchAll(pattern)].map((match) => match[1] ?? "");
}

function attributesOf(tagBody: string): Record<string, string> {
  return Object.fromEntries([...tagBody.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, name, value]) => [name, value]));
}

/** Points to a hundredth: finer than any glyph, without poppler's six decimals of noise. */
function round(value: string | undefined): number {
  return Math.round(Number(value ?? 0) * 100) / 100;
}

const NAMED_ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeXmlEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (entity, name: string) => {
    if (name.startsWith("#x") || name.startsWith("#X")) return codePoint(Number.parseInt(name.slice(2), 16), entity);
    if (name.startsWith("#")) return codePoint(Number.parseInt(name.slice(1), 10), entity);
    return NAMED_ENTITIES[name] ?? entity;
  });
}

function codePoint(value: number, fallback: string): string {
  return value >= 0 && value <= 0x10ffff ? String.fromCodePoint(value) : fallback;
}
