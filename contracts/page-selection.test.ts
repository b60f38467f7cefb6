import { describe, expect, it } from "vitest";
import { JobOptions, optionsMisfit } from "./job";
import { describeSelection, pagesOf, parsePageSelection, runsWithin } from "./page-selection";

describe("parsePageSelection", () => {
  it("reads pages and ranges, in any order, with spaces, overlaps and neighbours merged", () => {
    expect(parsePageSelection("1-3,7")).toEqual([
      { first: 1, last: 3 },
      { first: 7, last: 7 },
    ]);
    expect(parsePageSelection(" 9, 2 - 4,3-5,6 ")).toEqual([
      { first: 2, last: 6 },
      { first: 9, last: 9 },
    ]);
  });

  it.each(["", "0", "3-1", "1-", "-2", "1,,2", "a", "1;2", "1.5", "99999999999999999999"])("refuses %j", (text) => {
    expect(parsePageSelection(text)).toBeNull();
  });
});

describe("runsWithin and pagesOf", () => {
  it("cuts a selection to a part's range and lists its pages", () => {
    const runs = parsePageSelection("1-3,7,9-12") ?? [];
    expect(runsWithin(runs, { first: 3, last: 10 })).toEqual([
      { first: 3, last: 3 },
      { first: 7, last: 7 },
      { first: 9, last: 10 },
    ]);
    expect(pagesOf(runsWithin(runs, { first: 3, last: 10 }))).toEqual([3, 7, 9, 10]);
    expect(describeSelection(runs)).toBe("1–3, 7, 9–12");
  });
});

describe("options.pages", () => {
  it("is validated with the job's options, and refused for audio and video", () => {
    expect(JobOptions.parse({ pages: "2-3" }).pages).toBe("2-3");
    expect(JobOptions.safeParse({ pages: "3-2" }).success).toBe(false);
    expect(optionsMisfit("ocr", JobOptions.parse({ pages: "2" }))).toBeNull();
    expect(optionsMisfit("av", JobOptions.parse({ pages: "2" }))).toMatch(/not to audio or video/);
    expect(optionsMisfit("av", JobOptions.parse({}))).toBeNull();
  });
});
