import { describe, expect, it } from "vitest";
import { findMatches, splitAtMatches, stepMatch } from "./text-search";

describe("findMatches", () => {
  it("finds every match, case-insensitively, as [start, end] ranges", () => {
    expect(findMatches("The cat sat on the mat. THE END", "the")).toEqual([
      [0, 3],
      [15, 18],
      [24, 27],
    ]);
  });

  it("finds nothing for an empty query, an empty text or no match", () => {
    expect(findMatches("some text", "")).toEqual([]);
    expect(findMatches("", "text")).toEqual([]);
    expect(findMatches("some text", "absent")).toEqual([]);
  });

  it("takes the query literally, not as a pattern", () => {
    expect(findMatches("a.b axb (c) [d] $5 ^", ".")).toEqual([[1, 2]]);
    expect(findMatches("a.b axb (c) [d] $5 ^", "(c)")).toEqual([[8, 11]]);
    expect(findMatches("a.b axb (c) [d] $5 ^", "[d]")).toEqual([[12, 15]]);
    expect(findMatches("a.b axb (c) [d] $5 ^", "$5")).toEqual([[16, 18]]);
    expect(findMatches("a\\b", "\\")).toEqual([[1, 2]]);
  });

  it("does not overlap matches", () => {
    expect(findMatches("aaaa", "aa")).toEqual([
      [0, 2],
      [2, 4],
    ]);
  });

  it("keeps offsets into the original text for non-ASCII letters", () => {
    const text = "İstanbul ÉTÉ été 😀 été";
    const ranges = findMatches(text, "été");
    expect(ranges.map(([s, e]) => text.slice(s, e))).toEqual(["ÉTÉ", "été", "été"]);
    expect(findMatches(text, "😀").map(([s, e]) => text.slice(s, e))).toEqual(["😀"]);
  });

  it("stops at the limit", () => {
    expect(findMatches("x".repeat(50), "x", 10)).toHaveLength(10);
    expect(findMatches("xxx", "x", 0)).toEqual([]);
  });

  it("matches across lines", () => {
    expect(findMatches("one\ntwo\nONE", "one")).toEqual([
      [0, 3],
      [8, 11],
    ]);
  });
});

describe("splitAtMatches", () => {
  it("cuts the text into plain runs and numbered matches", () => {
    const text = "the cat and the hat";
    expect(splitAtMatches(text, findMatches(text, "the"))).toEqual([
      { text: "the", match: 0 },
      { text: " cat and ", match: -1 },
      { text: "the", match: 1 },
      { text: " hat", match: -1 },
    ]);
  });

  it("gives the whole text as one run without matches", () => {
    expect(splitAtMatches("plain", [])).toEqual([{ text: "plain", match: -1 }]);
    expect(splitAtMatches("", [])).toEqual([]);
  });

  it("joins back to the text", () => {
    const text = "Ab ab AB aB";
    expect(
      splitAtMatches(text, findMatches(text, "ab"))
        .map((p) => p.text)
        .join(""),
    ).toBe(text);
  });
});

describe("stepMatch", () => {
  it("moves forward and back, wrapping around", () => {
    expect(stepMatch(0, 3, 1)).toBe(1);
    expect(stepMatch(2, 3, 1)).toBe(0);
    expect(stepMatch(0, 3, -1)).toBe(2);
    expect(stepMatch(1, 3, -1)).toBe(0);
  });

  it("starts at the first or last match, and has nowhere to go without matches", () => {
    expect(stepMatch(-1, 3, 1)).toBe(0);
    expect(stepMatch(-1, 3, -1)).toBe(2);
    expect(stepMatch(-1, 0, 1)).toBe(-1);
    expect(stepMatch(0, 0, -1)).toBe(-1);
  });
});
