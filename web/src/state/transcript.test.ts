import { describe, expect, it } from "vitest";
import type { AvSegment } from "../../../contracts/results";
import { splitAtMatches } from "../lib/text-search";
import {
  firstWord,
  markTokens,
  searchSegments,
  segmentOfMatch,
  segmentTokens,
  speakerTurns,
  stepWord,
  tokensText,
  wordAt,
} from "./transcript";

/** A segment of `words` ("text@start-end"), its text the words joined by spaces unless given. */
function segment(words: string[], extra: Partial<AvSegment> = {}): AvSegment {
  const parsed = words.map((w) => {
    const [text = "", times = ""] = w.split("@");
    const [start = 0, end = 0] = times.split("-").map(Number);
    return { text, start, end, confidence: 0.9 };
  });
  return {
    start: parsed[0]?.start ?? 0,
    end: parsed.at(-1)?.end ?? 0,
    text: parsed.map((w) => w.text).join(" "),
    words: parsed,
    ...extra,
  };
}

const SEGMENTS = [
  segment(["the@0-0.3", "quick@0.3-0.6", "brown@0.7-1.0"]),
  // No words: found by segmentAt, never by wordAt.
  { start: 1.5, end: 2.5, text: "[music]", words: [] },
  segment(["fox@3-3.4", "jumped@3.4-4"]),
];

describe("wordAt: the word spoken at a time", () => {
  it("finds the word whose [start, end) holds the time, across segments", () => {
    expect(wordAt(SEGMENTS, 0)).toEqual({ segment: 0, word: 0 });
    expect(wordAt(SEGMENTS, 0.29)).toEqual({ segment: 0, word: 0 });
    expect(wordAt(SEGMENTS, 0.3)).toEqual({ segment: 0, word: 1 });
    expect(wordAt(SEGMENTS, 0.99)).toEqual({ segment: 0, word: 2 });
    expect(wordAt(SEGMENTS, 3.5)).toEqual({ segment: 2, word: 1 });
  });

  it("finds none between words, in a segment without words, before and after the transcript", () => {
    expect(wordAt(SEGMENTS, 0.65)).toBeNull();
    expect(wordAt(SEGMENTS, 1.2)).toBeNull();
    expect(wordAt(SEGMENTS, 2)).toBeNull();
    expect(wordAt(SEGMENTS, -1)).toBeNull();
    expect(wordAt(SEGMENTS, 4)).toBeNull();
    expect(wordAt([], 1)).toBeNull();
  });

  it("finds a word of an earlier segment that overlaps a later one (two channels speaking at once)", () => {
    const overlapping = [
      segment(["hello@0-1", "there@1-5"], { speaker: "Speaker 1" }),
      segment(["yes@2-2.5"], { speaker: "Speaker 2" }),
    ];
    expect(wordAt(overlapping, 2.2)).toEqual({ segment: 1, word: 0 });
    expect(wordAt(overlapping, 3)).toEqual({ segment: 0, word: 1 });
  });

  it("stays a binary search on a long transcript", () => {
    const long = Array.from({ length: 20_000 }, (_, i) => segment([`w${i}@${i}-${i + 0.5}`]));
    expect(wordAt(long, 12_345.2)).toEqual({ segment: 12_345, word: 0 });
    expect(wordAt(long, 12_345.7)).toBeNull();
  });
});

describe("segmentTokens: a segment's text cut into its words", () => {
  it("keeps the text as it is, punctuation between the words", () => {
    const tokens = segmentTokens({
      text: "Hello, world. It's me!",
      words: [{ text: "Hello" }, { text: "world" }, { text: "it's" }, { text: "me" }],
    });
    expect(tokens).toEqual([
      { text: "Hello", word: 0 },
      { text: ", ", word: -1 },
      { text: "world", word: 1 },
      { text: ". ", word: -1 },
      { text: "It's", word: 2 },
      { text: " ", word: -1 },
      { text: "me", word: 3 },
      { text: "!", word: -1 },
    ]);
    expect(tokensText(tokens)).toBe("Hello, world. It's me!");
  });

  it("takes words with their punctuation (Whisper's) as they are in the text", () => {
    expect(segmentTokens({ text: " Hi, you.", words: [{ text: " Hi," }, { text: " you." }] })).toEqual([
      { text: " ", word: -1 },
      { text: "Hi,", word: 0 },
      { text: " ", word: -1 },
      { text: "you.", word: 1 },
    ]);
  });

  it("shows the words joined by spaces when they are not all in the text", () => {
    expect(segmentTokens({ text: "gonna go", words: [{ text: "going" }, { text: "to" }, { text: "go" }] })).toEqual([
      { text: "going", word: 0 },
      { text: " ", word: -1 },
      { text: "to", word: 1 },
      { text: " ", word: -1 },
      { text: "go", word: 2 },
    ]);
  });

  it("is the text alone for a segment without words", () => {
    expect(segmentTokens({ text: "[music]", words: [] })).toEqual([{ text: "[music]", word: -1 }]);
    expect(segmentTokens({ text: "", words: [] })).toEqual([]);
  });
});

describe("markTokens: search matches inside the words", () => {
  const tokens = segmentTokens({ text: "the brown fox", words: [{ text: "the" }, { text: "brown" }, { text: "fox" }] });

  it("marks a match inside a word, and leaves the rest of it plain", () => {
    expect(markTokens(tokens, [[5, 8]], 7)).toEqual([
      { word: 0, pieces: [{ text: "the", match: -1 }] },
      { word: -1, pieces: [{ text: " ", match: -1 }] },
      {
        word: 1,
        pieces: [
          { text: "b", match: -1 },
          { text: "row", match: 7 },
          { text: "n", match: -1 },
        ],
      },
      { word: -1, pieces: [{ text: " ", match: -1 }] },
      { word: 2, pieces: [{ text: "fox", match: -1 }] },
    ]);
  });

  it("marks a match across words in each word and the space between, under one index", () => {
    const marked = markTokens(tokens, [[4, 13]]);
    expect(marked.slice(1).map((t) => t.pieces)).toEqual([
      [{ text: " ", match: -1 }],
      [{ text: "brown", match: 0 }],
      [{ text: " ", match: 0 }],
      [{ text: "fox", match: 0 }],
    ]);
  });

  it("marks several matches in one word, and none leaves the text whole", () => {
    const text = "banana";
    const one = segmentTokens({ text, words: [{ text }] });
    expect(
      markTokens(
        one,
        [
          [1, 3],
          [3, 5],
        ],
        0,
      )[0]?.pieces,
    ).toEqual([
      { text: "b", match: -1 },
      { text: "an", match: 0 },
      { text: "an", match: 1 },
      { text: "a", match: -1 },
    ]);
    expect(markTokens(one, [])).toEqual([{ word: 0, pieces: [{ text, match: -1 }] }]);
  });

  it("cuts a text without words as text-search's splitAtMatches does", () => {
    const text = "the cat and the hat";
    const plain = segmentTokens({ text, words: [] });
    const ranges = searchSegments([text], "the").ranges[0] ?? [];
    expect(markTokens(plain, ranges)[0]?.pieces).toEqual(splitAtMatches(text, ranges));
  });
});

describe("searchSegments: search over the transcript", () => {
  const texts = ["The fox", "no match here", "the red fox, THE END"];

  it("numbers the matches over the whole transcript, in order", () => {
    const found = searchSegments(texts, "the");
    expect(found.total).toBe(3);
    expect(found.first).toEqual([0, 1, 1]);
    expect(found.ranges).toEqual([
      [[0, 3]],
      [],
      [
        [0, 3],
        [13, 16],
      ],
    ]);
    expect(found.capped).toBe(false);
    expect([0, 1, 2].map((match) => segmentOfMatch(found, match))).toEqual([0, 2, 2]);
    expect(segmentOfMatch(found, 3)).toBe(-1);
    expect(segmentOfMatch(found, -1)).toBe(-1);
  });

  it("finds nothing for an empty query, and stops at the limit", () => {
    expect(searchSegments(texts, "").total).toBe(0);
    const capped = searchSegments(texts, "the", 2);
    expect(capped.total).toBe(2);
    expect(capped.capped).toBe(true);
    expect(capped.ranges[2]).toEqual([[0, 3]]);
  });
});

describe("speakerTurns: who speaks, labelled where the speaker changes", () => {
  it("labels the first segment of each turn, with one colour per speaker", () => {
    const turns = speakerTurns([
      { speaker: "Speaker 1" },
      { speaker: "Speaker 1" },
      { speaker: "Speaker 2" },
      { speaker: "Speaker 1" },
      {},
      { speaker: "Speaker 1" },
    ]);
    expect(turns).toEqual([
      { speaker: "Speaker 1", colour: 0 },
      null,
      { speaker: "Speaker 2", colour: 1 },
      { speaker: "Speaker 1", colour: 0 },
      null,
      { speaker: "Speaker 1", colour: 0 },
    ]);
  });

  it("names a channel's speaker when no speaker is given, and labels nothing without either", () => {
    expect(speakerTurns([{ channel: 0 }, { channel: 1 }, { channel: 1 }])).toEqual([
      { speaker: "Speaker 1", colour: 0 },
      { speaker: "Speaker 2", colour: 1 },
      null,
    ]);
    expect(speakerTurns([{}, {}])).toEqual([null, null]);
  });

  it("reuses the colours past six speakers", () => {
    const turns = speakerTurns(Array.from({ length: 8 }, (_, i) => ({ speaker: `Speaker ${i + 1}` })));
    expect(turns.map((t) => t?.colour)).toEqual([0, 1, 2, 3, 4, 5, 0, 1]);
  });
});

describe("stepWord: keyboard focus moving over the words", () => {
  it("moves word by word across segments, passing over segments without words", () => {
    expect(stepWord(SEGMENTS, { segment: 0, word: 1 }, 1)).toEqual({ segment: 0, word: 2 });
    expect(stepWord(SEGMENTS, { segment: 0, word: 2 }, 1)).toEqual({ segment: 2, word: 0 });
    expect(stepWord(SEGMENTS, { segment: 2, word: 0 }, -1)).toEqual({ segment: 0, word: 2 });
  });

  it("moves segment by segment to a segment's first word", () => {
    expect(stepWord(SEGMENTS, { segment: 0, word: 1 }, 1, "segment")).toEqual({ segment: 2, word: 0 });
    expect(stepWord(SEGMENTS, { segment: 2, word: 1 }, -1, "segment")).toEqual({ segment: 0, word: 0 });
  });

  it("stays at either end", () => {
    expect(stepWord(SEGMENTS, { segment: 0, word: 0 }, -1)).toEqual({ segment: 0, word: 0 });
    expect(stepWord(SEGMENTS, { segment: 2, word: 1 }, 1)).toEqual({ segment: 2, word: 1 });
    expect(stepWord(SEGMENTS, { segment: 2, word: 0 }, 1, "segment")).toEqual({ segment: 2, word: 0 });
  });

  it("starts at the first word there is", () => {
    expect(firstWord(SEGMENTS)).toEqual({ segment: 0, word: 0 });
    expect(firstWord([{ words: [] }, { words: [1] }])).toEqual({ segment: 1, word: 0 });
    expect(firstWord([{ words: [] }])).toBeNull();
  });
});
