import { describe, expect, it } from "vitest";
import { characterErrorRate, wordErrorRate } from "./text-metrics";

describe("text metrics", () => {
  it("counts case for characters but not for words; spacing never counts", () => {
    expect(characterErrorRate("Hello  World", "Hello World")).toBe(0);
    expect(characterErrorRate("abcd", "abxd")).toBe(0.25);
    expect(characterErrorRate("Hello", "hello")).toBe(0.2);
    expect(wordErrorRate("The quick fox.", "the QUICK fox")).toBe(0);
  });

  it("counts substitutions, insertions and deletions of words", () => {
    expect(wordErrorRate("a b c d", "a x c")).toBe(0.5);
    expect(wordErrorRate("a b", "")).toBe(1);
    expect(wordErrorRate("a b", "a b c d")).toBe(1);
  });
});
