import { describe, expect, it } from "vitest";
import type { AvResult } from "../../contracts";
import { ocrText, toSrt, toVtt, transcriptText } from "./render-result";

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

  it("follows the subtitle rules of contracts/subtitles.ts: two lines of 42, 5/6 s to 7 s", () => {
    const words = Array.from({ length: 30 }, (_, i) => word(`word${i}`, i * 0.5, i * 0.5 + 0.4));
    const srt = toSrt({
      ...result,
      segments: [{ start: 0, end: 15, text: words.map((w) => w.text).join(" "), words }],
    });
    const cues = srt.trimEnd().split("\n\n");
    expect(cues.length).toBeGreaterThan(2);
    for (const cue of cues) {
      const [, timing = "", ...lines] = cue.split("\n");
      const [start = 0, end = 0] = timing.split(" --> ").map((t) => {
        const [h, m, s] = t.replace(",", ".").split(":").map(Number);
        return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
      });
      expect(end - start).toBeLessThanOrEqual(7);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(42);
    }
    expect(cues.flatMap((cue) => cue.split("\n").slice(2)).join(" ")).toBe(words.map((w) => w.text).join(" "));
  });

  it("stretches a short cue to 5/6 s, back into the silence before it where the recording ends", () => {
    const short = (duration_s: number): AvResult => ({
      ...result,
      duration_s,
      segments: [{ start: 2, end: 2.31, text: "Yes.", words: [word("Yes.", 2, 2.31)] }],
    });
    expect(toSrt(short(10))).toBe("1\n00:00:02,000 --> 00:00:02,833\nYes.\n");
    expect(toVtt(short(2.5))).toBe("WEBVTT\n\n00:00:01.667 --> 00:00:02.500\nYes.\n");
    expect(toVtt(short(2.31))).toBe("WEBVTT\n\n00:00:01.477 --> 00:00:02.310\nYes.\n");
  });

  it("names speakers: SRT where the speaker changes, WebVTT in a voice span per cue", () => {
    const dialogue: AvResult = {
      ...result,
      duration_s: 10,
      segments: [
        { start: 0, end: 1, text: "Ready?", words: [word("Ready?", 0, 1)], speaker: "Speaker 1" },
        { start: 2, end: 3, text: "Yes.", words: [word("Yes.", 2, 3)], speaker: "Speaker 2" },
        {
          start: 4,
          end: 5,
          text: "Let's go.",
          words: [word("Let's", 4, 4.5), word("go.", 4.5, 5)],
          speaker: "Speaker 2",
        },
      ],
    };
    expect(toSrt(dialogue)).toBe(
      "1\n00:00:00,000 --> 00:00:01,000\nSpeaker 1: Ready?\n\n" +
        "2\n00:00:02,000 --> 00:00:03,000\nSpeaker 2: Yes.\n\n" +
        "3\n00:00:04,000 --> 00:00:05,000\nLet's go.\n",
    );
    expect(toVtt(dialogue)).toBe(
      "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n<v Speaker 1>Ready?\n\n" +
        "00:00:02.000 --> 00:00:03.000\n<v Speaker 2>Yes.\n\n" +
        "00:00:04.000 --> 00:00:05.000\n<v Speaker 2>Let's go.\n",
    );
    expect(transcriptText(dialogue)).toBe("Speaker 1: Ready?\n\nSpeaker 2: Yes. Let's go.\n");
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

  it("marks a missing span between speakers' paragraphs", () => {
    const text = transcriptText({
      ...result,
      segments: result.segments.map((s) => ({ ...s, speaker: "Speaker 1" })),
      failed_parts: [
        { part: 1, range: { unit: "seconds", start: 600, end: 1200 }, code: "retries_exhausted", message: "x" },
      ],
    });
    expect(text).toBe(
      "Speaker 1: hello world\n\n[10:00–20:00 not extracted: retries_exhausted]\n\nSpeaker 1: goodbye\n",
    );
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
