import { describe, expect, it } from "vitest";
import { meanWordConfidence, type OcrPage, ocrWarnings } from "./results";

const word = (confidence: number) => ({
  text: "w",
  bbox: [0, 0, 1, 1] as [number, number, number, number],
  confidence,
});
const page = (n: number, confidences: number[]): OcrPage => {
  const blocks = [
    {
      bbox: [0, 0, 1, 1] as [number, number, number, number],
      lines: [
        {
          text: "w",
          bbox: [0, 0, 1, 1] as [number, number, number, number],
          confidence: 1,
          words: confidences.map(word),
        },
      ],
    },
  ];
  return {
    page: n,
    width: 100,
    height: 100,
    unit: "px",
    source: "ocr",
    rotation: 0,
    skew_deg: 0,
    confidence: meanWordConfidence(confidences.length > 0 ? blocks : []),
    text: confidences.length > 0 ? "w" : "",
    blocks: confidences.length > 0 ? blocks : [],
  };
};

describe("ocrWarnings", () => {
  it("names pages read with a low mean word confidence and pages with no text, in page order", () => {
    const warnings = ocrWarnings([page(3, [0.9, 0.95]), page(2, []), page(1, [0.3, 0.5])]);
    expect(warnings.map((w) => [w.code, w.page])).toEqual([
      ["low_confidence", 1],
      ["no_text", 2],
    ]);
    expect(warnings[0]?.message).toContain("40%");
  });

  it("has nothing to say of pages read well", () => {
    expect(ocrWarnings([page(1, [0.61, 0.99])])).toEqual([]);
  });
});
