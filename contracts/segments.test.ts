import { describe, expect, it } from "vitest";
import { type SpokenWord, segmentWords, speakerLabel, wordsOf } from "./segments";

/** A small seeded generator (mulberry32), so the generated speech is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Minutes of speech as an engine times it: words of 0.15–0.6 s, gaps of 0.02–0.3 s inside sentences,
 * 0.2–1.4 s between them, sentences of 4–30 words; `punctuated` adds the full stops Whisper writes.
 */
function speech(seed: number, seconds: number, punctuated: boolean): SpokenWord[] {
  const next = random(seed);
  const words: SpokenWord[] = [];
  let at = 0;
  let n = 0;
  while (at < seconds) {
    const length = 4 + Math.floor(next() * 27);
    for (let i = 0; i < length; i++) {
      const end = at + 0.15 + next() * 0.45;
      const last = i === length - 1;
      words.push({ text: `w${n++}${punctuated && last ? "." : ""}`, start: at, end, confidence: 0.9 });
      at = end + (last ? 0.2 + next() * 1.2 : 0.02 + next() * 0.28);
    }
  }
  return words.map((word) => ({ ...word, start: round(word.start), end: round(word.end) }));
}
const round = (s: number) => Math.round(s * 1000) / 1000;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

describe("segmentWords", () => {
  it.each([1, 2, 3, 4, 5])("gives readable segments over ten minutes of speech (seed %i)", (seed) => {
    for (const punctuated of [true, false]) {
      const words = speech(seed, 600, punctuated);
      const segments = segmentWords(words);
      const lengths = segments.map((segment) => segment.end - segment.start);
      expect(Math.max(...lengths)).toBeLessThanOrEqual(12);
      expect(median(lengths)).toBeLessThanOrEqual(12);
      // Not one segment per word either: most hold a sentence or more.
      expect(median(segments.map((segment) => segment.words.length))).toBeGreaterThanOrEqual(4);
      // Every word once, in order, and each segment's text is its words.
      expect(wordsOf(segments).map((word) => word.text)).toEqual(words.map((word) => word.text));
      for (const segment of segments) expect(segment.text).toBe(segment.words.map((w) => w.text).join(" "));
    }
  });

  it("cuts at a sentence end rather than at a shorter pause inside a sentence", () => {
    // Eighteen seconds of speech, no long pause: a sentence ends at 9 s, a slightly longer pause sits at 7 s.
    const words: SpokenWord[] = [];
    for (let i = 0; i < 36; i++) {
      const start = i * 0.5;
      words.push({ text: i === 17 ? "ends." : `w${i}`, start, end: start + 0.4, confidence: 1 });
    }
    const segments = segmentWords(words);
    expect(segments.map((segment) => segment.words.length)).toEqual([18, 18]);
    expect(segments[0]?.text.endsWith("ends.")).toBe(true);
  });

  it("starts a segment at every pause of a second or more, and at every change of speaker", () => {
    const word = (text: string, start: number, speaker?: string): SpokenWord => ({
      text,
      start,
      end: start + 0.3,
      confidence: 1,
      ...(speaker ? { speaker } : {}),
    });
    expect(segmentWords([word("a", 0), word("b", 0.4), word("c", 1.8)]).map((s) => s.text)).toEqual(["a b", "c"]);
    const dialogue = segmentWords([
      word("hi", 0, "Speaker 1"),
      word("hello", 0.4, "Speaker 2"),
      word("yes", 0.8, "Speaker 2"),
    ]);
    expect(dialogue.map((s) => [s.speaker, s.text])).toEqual([
      ["Speaker 1", "hi"],
      ["Speaker 2", "hello yes"],
    ]);
  });

  it("segments each channel on its own when their words interleave", () => {
    const left = [0, 0.5, 1, 1.5].map((start, i) => ({
      text: `l${i}`,
      start,
      end: start + 0.4,
      confidence: 1,
      channel: 0,
    }));
    const right = [0.2, 0.7, 1.2].map((start, i) => ({
      text: `r${i}`,
      start,
      end: start + 0.4,
      confidence: 1,
      channel: 1,
    }));
    const segments = segmentWords([...left, ...right].sort((a, b) => a.start - b.start));
    expect(segments.map((s) => [s.channel, s.text])).toEqual([
      [0, "l0 l1 l2 l3"],
      [1, "r0 r1 r2"],
    ]);
  });

  it("joins words without spaces where the language writes none", () => {
    const words = ["今日", "は"].map((text, i) => ({ text, start: i * 0.3, end: i * 0.3 + 0.2, confidence: 1 }));
    expect(segmentWords(words, "")[0]?.text).toBe("今日は");
  });
});

describe("segmentWords at the edges", () => {
  const word = (text: string, start: number, end: number): SpokenWord => ({ text, start, end, confidence: 1 });

  it("gives nothing for no words, and one segment for one word", () => {
    expect(segmentWords([])).toEqual([]);
    expect(segmentWords([word("hello", 1, 1.5)])).toEqual([
      { start: 1, end: 1.5, text: "hello", words: [{ text: "hello", start: 1, end: 1.5, confidence: 1 }] },
    ]);
  });

  it("keeps words of no length, and a single word longer than a segment stands alone", () => {
    const words = [word("a", 0, 0), word("b", 0, 0), word("long", 0.1, 20), word("c", 20.1, 20.3)];
    const segments = segmentWords(words);
    expect(wordsOf(segments).map((w) => w.text)).toEqual(["a", "b", "long", "c"]);
    expect(segments.find((s) => s.text.includes("long"))?.words.length).toBeLessThanOrEqual(3);
  });
});

describe("speakerLabel", () => {
  it("names speakers one way: by channel, by the engine's number, or both", () => {
    expect(speakerLabel({ channel: 0 })).toBe("Speaker 1");
    expect(speakerLabel({ speaker: 2 })).toBe("Speaker 3");
    expect(speakerLabel({ channel: 1, speaker: 0 })).toBe("Channel 2, Speaker 1");
    expect(speakerLabel({})).toBeUndefined();
  });
});
