import { describe, expect, it } from "vitest";
import { characterErrorRate, wordErrorRate } from "./text-metrics";

describe("text metrics", () => {
  it("is zero for the same text up to case, punctuation and spacing", () => {
    expect(characterErrorRate("Hello, World!", "hello   world")).toBe(0);
    expect(wordErrorRate("The quick fox.", "the QUICK fox")).toBe(0);
  });

  it("counts substitutions, insertions and deletions", () => {
    expect(wordErrorRate("a b c d", "a x c")).toBe(0.5);
    expect(characterErrorRate("abcd", "abxd")).toBe(0.25);
    expect(wordErrorRate("a b", "")).toBe(1);
  });
});
