import { describe, expect, it } from "vitest";
import { parsePocketsphinxTimes, utteranceEnd } from "./pocketsphinx-output";

/** Real `pocketsphinx_continuous -time yes` output for two utterances, plus a noise-only utterance. */
const OUTPUT = `the quick brown fox
<s> 0.100 0.120 0.999200
the 0.130 0.280 0.681783
quick 0.290 0.560 0.115216
<sil> 0.570 0.700 0.990000
brown 0.710 0.910 0.552795
fox(2) 0.920 1.290 1.000100
</s> 1.300 1.400 1.000000
good morning
<s> 8.190 8.290 0.999700
[NOISE] 8.300 8.400 0.500000
good 8.410 8.430 0.251740
morning 8.440 8.840 0.999700
</s> 8.850 9.000 1.000000

<s> 12.000 12.100 1.000000
[NOISE] 12.110 12.500 0.400000
</s> 12.510 12.600 1.000000
`;

describe("parsePocketsphinxTimes", () => {
  const segments = parsePocketsphinxTimes(OUTPUT);

  it("makes one segment per utterance with words, spanning its first to last word", () => {
    expect(segments.map(({ start, end, text }) => ({ start, end, text }))).toEqual([
      { start: 0.13, end: 1.29, text: "the quick brown fox" },
      { start: 8.41, end: 8.84, text: "good morning" },
    ]);
  });

  it("drops markers and fillers, strips pronunciation variants, clamps confidence to 0..1", () => {
    expect(segments[0]?.words).toEqual([
      { text: "the", start: 0.13, end: 0.28, confidence: 0.681783 },
      { text: "quick", start: 0.29, end: 0.56, confidence: 0.115216 },
      { text: "brown", start: 0.71, end: 0.91, confidence: 0.552795 },
      { text: "fox", start: 0.92, end: 1.29, confidence: 1 },
    ]);
  });

  it("reads silence (no output) as no segments", () => {
    expect(parsePocketsphinxTimes("")).toEqual([]);
  });
});

describe("utteranceEnd", () => {
  it("reads how far into the audio an utterance's closing line got, and nothing from other lines", () => {
    const ends = OUTPUT.split("\n").flatMap((line) => {
      const end = utteranceEnd(line);
      return end === null ? [] : [end];
    });
    expect(ends).toEqual([1.4, 9, 12.6]);
  });
});
