import { describe, expect, it } from "vitest";
import type { AvResult } from "../../contracts";
import { ocrText, toCues, toSrt, toVtt, transcriptText } from "./render-result";

const word = (text: string, start: number, end: number) => ({ text, start, end, confidence: 0.9 });

const result: AvResult = {
  kind: "av",
  engine: "test",
  language: "eng",
  duration_s: 3725,
  warnings: [],
  segments: [
    { start: 0.5, end: 1.75, text: "hello world", words: [word("hello", 0.5, 1), word("world", 1.1, 1.75)] },
    { start: 3723.2, end: 3724.999, text: "goodbye", words: [] },
  ],
};

describe("subtitle rendering", () => {
  it("writes SRT with comma milliseconds and hours", () => {
    expect(toSrt(result)).toBe(
      "1\n00:00:00,500 --> 00:00:01,750\nhello world\n\n2\n01:02:03,200 --> 01:02:04,999\ngoodbye\n",
    );
  });

  it("writes WebVTT with a header and dot milliseconds", () => {
    expect(toVtt(result)).toBe(
      "WEBVTT\n\n00:00:00.500 --> 00:00:01.750\nhello world\n\n01:02:03.200 --> 01:02:04.999\ngoodbye\n",
    );
  });

  it("splits long segments at word boundaries by length and by time", () => {
    const words = Array.from({ length: 30 }, (_, i) => word(`word${i}`, i * 0.5, i * 0.5 + 0.4));
    const cues = toCues([{ start: 0, end: 15, text: words.map((w) => w.text).join(" "), words }], 84, 6);
    expect(cues.length).toBeGreaterThan(2);
    for (const cue of cues) {
      expect(cue.text.length).toBeLessThanOrEqual(84);
      expect(cue.end - cue.start).toBeLessThanOrEqual(6);
    }
    expect(cues.map((c) => c.text).join(" ")).toBe(words.map((w) => w.text).join(" "));
  });

  it("writes one line of text per segment", () => {
    expect(transcriptText(result)).toBe("hello world\ngoodbye\n");
  });
});

describe("plain text of a job with parts that failed", () => {
  it("marks the missing pages where they would have been", () => {
    const page = (n: number) => ({
      page: n,
      width: 1,
      height: 1,
      unit: "px" as const,
      source: "ocr" as const,
      rotation: 0 as const,
      skew_deg: 0,
      confidence: null,
      text: `text of ${n}`,
      blocks: [],
    });
    const text = ocrText({
      kind: "ocr",
      engine: "tesseract",
      language: "eng",
      pages: [page(1), page(2), page(5)],
      warnings: [],
      failed_parts: [{ part: 1, range: { unit: "pages", first: 3, last: 4 }, code: "media_corrupt", message: "x" }],
    });
    expect(text).toBe("text of 1\n\ntext of 2\n\n[pages 3–4 not extracted: media_corrupt]\n\ntext of 5\n");
  });

  it("marks a missing span of a transcript at its time", () => {
    const text = transcriptText({
      ...result,
      failed_parts: [
        { part: 1, range: { unit: "seconds", start: 600, end: 1200 }, code: "retries_exhausted", message: "x" },
      ],
    });
    expect(text).toBe("hello world\n[10:00–20:00 not extracted: retries_exhausted]\ngoodbye\n");
  });

  it("shows a missing span in subtitles as a cue over it", () => {
    const partial: AvResult = {
      ...result,
      failed_parts: [
        { part: 1, range: { unit: "seconds", start: 600, end: 1200 }, code: "retries_exhausted", message: "x" },
      ],
    };
    expect(toSrt(partial)).toContain(
      "2\n00:10:00,000 --> 00:20:00,000\n[10:00–20:00 not extracted: retries_exhausted]\n\n3\n01:02:03,200",
    );
    expect(toVtt(partial)).toContain("00:10:00.000 --> 00:20:00.000\n[10:00–20:00 not extracted: retries_exhausted]\n");
  });
});
