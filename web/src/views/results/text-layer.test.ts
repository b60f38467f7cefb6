import { describe, expect, it } from "vitest";
import type { OcrPage } from "../../../../contracts/results";
import { caretAt, lineAt, offsetAt, stretchToBox, type TextPiece, textLayerItems } from "./text-layer";

type Line = OcrPage["blocks"][number]["lines"][number];

const word = (text: string, x0: number, y0: number): Line["words"][number] => ({
  text,
  bbox: [x0, y0, x0 + text.length * 10, y0 + 20],
  confidence: 0.9,
});
const line = (words: Line["words"], text = words.map((w) => w.text).join(" ")): Line => ({
  text,
  bbox: [
    Math.min(...words.map((w) => w.bbox[0]), 0),
    words[0]?.bbox[1] ?? 0,
    Math.max(...words.map((w) => w.bbox[2]), 0),
    words[0]?.bbox[3] ?? 0,
  ],
  confidence: 0.9,
  words,
});

describe("textLayerItems", () => {
  it("puts the words in reading order, a space between words, a line break between lines, a blank line between blocks", () => {
    const blocks: OcrPage["blocks"] = [
      {
        bbox: [0, 0, 100, 50],
        lines: [line([word("Invoice", 0, 0), word("4711", 80, 0)]), line([word("Total", 0, 30)])],
      },
      { bbox: [0, 100, 100, 120], lines: [line([word("Thanks", 0, 100)])] },
    ];
    const items = textLayerItems({ blocks });
    expect(items.map((item) => item.text).join("")).toBe("Invoice 4711\nTotal\n\nThanks");
    expect(items.filter((item) => item.kind === "text").map((item) => item.line)).toEqual([0, 0, 1, 2]);
    expect(items[0]).toEqual({ kind: "text", text: "Invoice", bbox: [0, 0, 70, 20], line: 0 });
  });

  it("gives each word its line's height", () => {
    const low = { ...word("amount", 80, 8), bbox: [80, 8, 140, 20] as [number, number, number, number] };
    const items = textLayerItems({
      blocks: [{ bbox: [0, 0, 140, 24], lines: [{ ...line([word("Total", 0, 0), low]), bbox: [0, 0, 140, 24] }] }],
    });
    expect(items.filter((item) => item.kind === "text").map((item) => item.bbox)).toEqual([
      [0, 0, 50, 24],
      [80, 0, 140, 24],
    ]);
  });

  it("uses the line's own box when it has no word boxes, and leaves out empty words and lines", () => {
    const boxless: Line = { text: "Whole line", bbox: [5, 5, 105, 25], confidence: 1, words: [] };
    const empty: Line = { text: " ", bbox: [5, 30, 105, 50], confidence: 0, words: [word(" ", 5, 30)] };
    const items = textLayerItems({
      blocks: [{ bbox: [0, 0, 110, 60], lines: [boxless, empty, line([word("end", 5, 60)])] }],
    });
    expect(items.map((item) => item.text).join("")).toBe("Whole line\nend");
    expect(items[0]).toMatchObject({ bbox: [5, 5, 105, 25], line: 0 });
    expect(items.at(-1)).toMatchObject({ text: "end", line: 2 });
  });
});

describe("stretchToBox", () => {
  it("stretches the text, set as high as its box, to the box's width", () => {
    // 20 high: the text is 300 × 20/100 = 60 wide in that font; the box is 90 wide.
    expect(stretchToBox([10, 0, 100, 20], 300)).toBeCloseTo(1.5);
    expect(stretchToBox([10, 0, 40, 20], 300)).toBeCloseTo(0.5);
  });

  it("leaves text with no width, or a box with no size, as it is", () => {
    expect(stretchToBox([0, 0, 10, 10], 0)).toBe(1);
    expect(stretchToBox([0, 0, 10, 0], 100)).toBe(1);
  });
});

describe("lineAt", () => {
  const lines: { bbox: [number, number, number, number] }[] = [
    { bbox: [0, 0, 100, 20] },
    { bbox: [0, 30, 100, 50] },
    { bbox: [40, 32, 60, 48] },
  ];
  it("finds the line whose box holds the point, the smallest when boxes overlap", () => {
    expect(lineAt(lines, 10, 10)).toBe(0);
    expect(lineAt(lines, 10, 40)).toBe(1);
    expect(lineAt(lines, 50, 40)).toBe(2);
    expect(lineAt(lines, 10, 25)).toBeNull();
  });
});

describe("caretAt", () => {
  // Two lines: "ab cd" at y 0–20 and "ef" at y 40–60; every letter 10 wide.
  const pieces: TextPiece[] = [
    { kind: "text", text: "ab", bbox: [0, 0, 20, 20], line: 0 },
    { kind: "text", text: "cd", bbox: [40, 0, 60, 20], line: 0 },
    { kind: "text", text: "ef", bbox: [0, 40, 20, 60], line: 1 },
  ];
  const byLetter = (piece: TextPiece, x: number) => Math.round((x - piece.bbox[0]) / 10);
  const at = (x: number, y: number) => caretAt(pieces, x, y, byLetter);

  it("puts the caret at the character under the point", () => {
    expect(at(11, 10)).toEqual({ piece: 0, offset: 1 });
    expect(at(52, 50)).toEqual({ piece: 2, offset: 2 });
  });

  it("puts a point in the margin at the start or end of the line beside it", () => {
    expect(at(-30, 10)).toEqual({ piece: 0, offset: 0 });
    expect(at(200, 10)).toEqual({ piece: 1, offset: 2 });
    expect(at(200, 45)).toEqual({ piece: 2, offset: 2 });
  });

  it("puts a point between words at the nearer word's edge, and one between lines in the nearer line", () => {
    expect(at(25, 10)).toEqual({ piece: 0, offset: 2 });
    expect(at(35, 10)).toEqual({ piece: 1, offset: 0 });
    expect(at(2, 25)).toEqual({ piece: 0, offset: 0 });
    expect(at(2, 36)).toEqual({ piece: 2, offset: 0 });
  });

  it("finds nothing on a page with no text", () => {
    expect(caretAt([], 0, 0, byLetter)).toBeNull();
  });
});

describe("offsetAt", () => {
  // "iW": a narrow letter then a wide one.
  const measure = (text: string) => [...text].reduce((sum, c) => sum + (c === "i" ? 2 : 8), 0);
  it("finds the character boundary nearest to a share of the text's width, by the letters' widths", () => {
    expect(offsetAt("iW", 0, measure)).toBe(0);
    expect(offsetAt("iW", 0.15, measure)).toBe(1);
    expect(offsetAt("iW", 0.5, measure)).toBe(1);
    expect(offsetAt("iW", 0.7, measure)).toBe(2);
  });
});
