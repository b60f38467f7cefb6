import { describe, expect, it } from "vitest";
import { JobOptions } from "./job";

const vocabulary = (...terms: string[]) => JobOptions.safeParse({ vocabulary: terms });

describe("options.vocabulary", () => {
  it("takes names and terms in any script, trimmed", () => {
    // क्‍ष: a Devanagari conjunct written with a zero-width joiner, as Hindi text may be.
    const parsed = vocabulary(" Acme Corp ", "Zürich", "東京", "Kubernetes\n", "क्\u200Dष");
    expect(parsed.success && parsed.data.vocabulary).toEqual(["Acme Corp", "Zürich", "東京", "Kubernetes", "क्\u200Dष"]);
  });

  it.each([
    ["a line break inside", "Acme\nCorp"],
    ["a tab inside", "Acme\tCorp"],
    ["a NUL", "Acme\u0000"],
    ["an escape sequence", "\u001b[31mAcme"],
    ["a zero-width space", "Ac\u200Bme"],
    ["a right-to-left override", "Acme\u202Eproc.exe"],
    ["a byte order mark inside", "Ac\uFEFFme"],
  ])("refuses a term with %s (control and format characters), saying why", (_, term) => {
    const parsed = vocabulary("Verbatim", term);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues).toEqual([
      expect.objectContaining({ path: ["vocabulary", 1], message: expect.stringContaining("control or format") }),
    ]);
  });
});
