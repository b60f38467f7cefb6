import { describe, expect, it } from "vitest";
import type { OcrPage, OcrResult } from "../../contracts";
import { ocrMarkdown } from "./ocr-markdown";

type Block = OcrPage["blocks"][number];
type Line = Block["lines"][number];
type Word = Line["words"][number];

// A 300-dpi A4 scan: 2480 × 3508 px, body text lines 50 px high every 70 px, words 20 px a character.
const CHAR = 20;
const SPACE = 15;

/** Words laid out from each `[text, x]` run, all on one line at `y`. */
function lineOfRuns(runs: [string, number][], y: number, h = 50): Line {
  const words: Word[] = [];
  for (const [text, x0] of runs) {
    let x = x0;
    for (const word of text.split(" ")) {
      words.push({ text: word, bbox: [x, y, x + word.length * CHAR, y + h], confidence: 0.95 });
      x += word.length * CHAR + SPACE;
    }
  }
  const xs = words.flatMap((w) => [w.bbox[0], w.bbox[2]]);
  return {
    text: words.map((w) => w.text).join(" "),
    bbox: [Math.min(...xs), y, Math.max(...xs), y + h],
    confidence: 0.95,
    words,
  };
}

const line = (text: string, x: number, y: number, h = 50) => lineOfRuns([[text, x]], y, h);

/** Lines of text starting at `x`, the first at `y`, one every 70 px. */
const lines = (texts: string[], x: number, y: number) => texts.map((text, i) => line(text, x, y + i * 70));

function block(...blockLines: Line[]): Block {
  return {
    bbox: [
      Math.min(...blockLines.map((l) => l.bbox[0])),
      Math.min(...blockLines.map((l) => l.bbox[1])),
      Math.max(...blockLines.map((l) => l.bbox[2])),
      Math.max(...blockLines.map((l) => l.bbox[3])),
    ],
    lines: blockLines,
  };
}

function page(n: number, blocks: Block[]): OcrPage {
  const text = blocks.map((b) => b.lines.map((l) => l.text).join("\n")).join("\n\n");
  return {
    page: n,
    width: 2480,
    height: 3508,
    unit: "px",
    source: "ocr",
    rotation: 0,
    skew_deg: 0,
    confidence: blocks.length > 0 ? 0.95 : null,
    text,
    blocks,
  };
}

const result = (pages: OcrPage[], failed_parts?: OcrResult["failed_parts"]): OcrResult => ({
  kind: "ocr",
  engine: "tesseract",
  language: "eng",
  pages,
  warnings: [],
  ...(failed_parts ? { failed_parts } : {}),
});

/** A Markdown document of blocks separated by blank lines. */
const doc = (...blocks: string[]) => `${blocks.join("\n\n")}\n`;

describe("OCR result as Markdown", () => {
  it("reads a two-column page column by column under its full-width title, whatever the block order", () => {
    const title = block(line("Reading Order in Two-Column Pages", 600, 200, 100));
    const left1 = block(...lines(["Left one starts the left", "column and goes on for", "three lines."], 200, 500));
    const left2 = block(...lines(["Left two ends the left", "column."], 200, 800));
    const right1 = block(
      ...lines(["Right one opens the right", "column at the same height", "as left one."], 1300, 500),
    );
    const right2 = block(...lines(["Right two closes it."], 1300, 800));
    const footer = block(line("A footer that runs across the whole page width, under both columns.", 200, 1200));

    const markdown = ocrMarkdown(result([page(1, [right1, left2, footer, title, right2, left1])]));

    expect(markdown).toBe(
      doc(
        "<!-- page 1 -->",
        "# Reading Order in Two-Column Pages",
        "Left one starts the left column and goes on for three lines.",
        "Left two ends the left column.",
        "Right one opens the right column at the same height as left one.",
        "Right two closes it.",
        "A footer that runs across the whole page width, under both columns.",
      ),
    );
  });

  it("grades headings by their size on the page, also when the engine put one in a paragraph's block", () => {
    const body = ["Body text of ordinary height", "fills most of the page so that", "its lines set the median."];
    // Body lines with ascenders and descenders are taller than the rest (70 px against 50): still body.
    const withDescenders = (texts: string[], x: number, y: number) =>
      lines(texts, x, y).map((l, i) => (i === 1 ? line(l.text, x, l.bbox[1], 70) : l));
    const markdown = ocrMarkdown(
      result([
        page(1, [
          block(line("Chapter One", 200, 200, 110)),
          block(line("Getting started", 200, 400, 95), ...withDescenders(body, 200, 520)),
          block(line("A smaller heading", 200, 800, 80), ...withDescenders(body, 200, 920)),
          block(
            ...withDescenders(
              ["A line a little taller than the rest", "is still body text.", "So is this one."],
              200,
              1200,
            ),
          ),
        ]),
      ]),
    );

    const paragraph = "Body text of ordinary height fills most of the page so that its lines set the median.";
    expect(markdown).toBe(
      doc(
        "<!-- page 1 -->",
        "# Chapter One",
        "## Getting started",
        paragraph,
        "### A smaller heading",
        paragraph,
        "A line a little taller than the rest is still body text. So is this one.",
      ),
    );
  });

  it("writes bulleted and numbered lists one item per marker, with continuation lines joined", () => {
    const bullets = block(...lines(["• Apples and", "pears", "– Milk", "o Bread"], 200, 200));
    const steps = block(
      ...lines(["The steps are:", "1. Preheat the oven", "2) Mix the flour with", "water", "a) add sugar"], 200, 600),
    );
    // Engines often give each item its own block: they still make one list.
    const split = [block(line("- Tea", 200, 1100)), block(line("- Coffee", 200, 1170))];

    const markdown = ocrMarkdown(result([page(1, [bullets, steps, ...split])]));

    expect(markdown).toBe(
      doc(
        "<!-- page 1 -->",
        "- Apples and pears\n- Milk\n- Bread",
        "The steps are:",
        "1. Preheat the oven\n2. Mix the flour with water",
        "- a) add sugar\n- Tea\n- Coffee",
      ),
    );
  });

  it("makes a pipe table of lines whose words align in columns, the first row as header", () => {
    const row = (cells: string[], y: number) =>
      lineOfRuns(
        cells.map((text, i): [string, number] => [text, [200, 1000, 1600][i] ?? 0]),
        y,
      );
    const table = block(
      line("Prices in the shop:", 200, 400),
      row(["Item", "Quantity", "Price"], 470),
      row(["Red apples", "3", "1.20"], 540),
      row(["Pears", "12", "0.80"], 610),
      row(["Milk A|B", "1", "0.95"], 680),
      line("All prices include tax.", 200, 750),
    );

    expect(ocrMarkdown(result([page(1, [table])]))).toBe(
      doc(
        "<!-- page 1 -->",
        "Prices in the shop:",
        [
          "| Item | Quantity | Price |",
          "| --- | --- | --- |",
          "| Red apples | 3 | 1.20 |",
          "| Pears | 12 | 0.80 |",
          "| Milk A\\|B | 1 | 0.95 |",
        ].join("\n"),
        "All prices include tax.",
      ),
    );
  });

  it("keeps plain paragraphs as paragraphs: no heading, table, list or Markdown syntax from their text", () => {
    const prose = block(
      ...lines(
        [
          "2019. It was the year the extrac-",
          "tion service began, and the team",
          "- as the notes say - grew fast.",
          "#hashtags were not yet in use.",
        ],
        200,
        200,
      ),
      // A clearly larger gap inside the block starts a new paragraph.
      ...lines(["Second paragraph after a gap.", "Its lines are ordinary."], 200, 590),
    );
    // Two columns the engine merged into one line each: wide gaps line up, but the "cells" are prose.
    const merged = block(
      ...[
        ["The committee met on Monday to", "The budget was approved after a"],
        ["discuss the plans for the new", "long debate about the costs of"],
        ["library and the park nearby.", "the roof and the heating plant."],
      ].map(([left = "", right = ""], i) =>
        lineOfRuns(
          [
            [left, 200],
            [right, 1300],
          ],
          900 + i * 70,
        ),
      ),
    );
    const startsLikeHeading = block(line("#1 in sales", 200, 1300));

    expect(ocrMarkdown(result([page(1, [prose, merged, startsLikeHeading])]))).toBe(
      doc(
        "<!-- page 1 -->",
        "2019\\. It was the year the extraction service began, and the team - as the notes say - grew fast. #hashtags were not yet in use.",
        "Second paragraph after a gap. Its lines are ordinary.",
        "The committee met on Monday to The budget was approved after a discuss the plans for the new long debate about the costs of library and the park nearby. the roof and the heating plant.",
        "\\#1 in sales",
      ),
    );
  });

  it("puts pages in page order under their own numbers, with a marker where a part failed", () => {
    const text = (n: number) => block(line(`Text of page ${n}.`, 200, 300));
    const markdown = ocrMarkdown(
      result(
        [page(7, [text(7)]), page(2, [text(2)]), page(5, [])],
        [{ part: 1, range: { unit: "pages", first: 3, last: 4 }, code: "media_corrupt", message: "x" }],
      ),
    );

    expect(markdown).toBe(
      doc(
        "<!-- page 2 -->",
        "Text of page 2.",
        "[pages 3–4 not extracted: media_corrupt]",
        "<!-- page 5 -->",
        "<!-- page 7 -->",
        "Text of page 7.",
      ),
    );
  });

  it("reads a page without a layout from its text, and an empty result as an empty document", () => {
    const textOnly = { ...page(1, []), text: "First line\nsame paragraph\n\n# not a heading\n" };
    expect(ocrMarkdown(result([textOnly]))).toBe("<!-- page 1 -->\n\nFirst line same paragraph\n\n\\# not a heading\n");
    expect(ocrMarkdown(result([]))).toBe("\n");
  });
});
