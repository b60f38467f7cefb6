import { describe, expect, it } from "vitest";
import type { AvResult, OcrResult, PartFailure } from "../contracts";
import { mergeParts } from "./merge-parts";

const page = (n: number) => ({
  page: n,
  width: 100,
  height: 100,
  unit: "px" as const,
  source: "ocr" as const,
  rotation: 0 as const,
  skew_deg: 0,
  confidence: null,
  text: `page ${n}`,
  blocks: [],
});
const ocr = (pages: number[]): OcrResult => ({
  kind: "ocr",
  engine: "tesseract",
  language: "eng",
  pages: pages.map(page),
  warnings: [],
});
const segment = (start: number) => ({ start, end: start + 1, text: `at ${start}`, words: [] });
const av = (starts: number[], duration: number): AvResult => ({
  kind: "av",
  engine: "pocketsphinx",
  language: "eng",
  duration_s: duration,
  warnings: [],
  segments: starts.map(segment),
});

describe("mergeParts", () => {
  it("orders pages by number whatever order the parts finished in", () => {
    const merged = mergeParts([ocr([5, 6]), ocr([1, 2]), ocr([3, 4])], [], null);
    expect(merged.kind === "ocr" && merged.pages.map((p) => p.page)).toEqual([1, 2, 3, 4, 5, 6]);
    // The warnings are the whole document's, in page order (these pages have no words).
    expect(merged.kind === "ocr" && merged.warnings.map((w) => [w.code, w.page])).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => ["no_text", n]),
    );
    expect(merged).not.toHaveProperty("failed_parts");
  });

  it("with language auto, takes the language most pages were found in (the parts found their own)", () => {
    const found = (pages: number[], language: string | null): OcrResult => ({
      ...ocr(pages),
      language: language ?? "eng",
      detected_language: language,
    });
    const merged = mergeParts(
      [found([1, 2], "deu"), found([3], "fra"), found([4, 5], "deu"), found([6], null)],
      [],
      null,
    );
    expect(merged.kind === "ocr" && [merged.language, merged.detected_language]).toEqual(["deu", "deu"]);
    const none = mergeParts([found([1], null), found([2], null)], [], null);
    expect(none.kind === "ocr" && [none.language, none.detected_language]).toEqual(["eng", null]);
    expect(mergeParts([ocr([1])], [], null)).not.toHaveProperty("detected_language");
  });

  it("with language auto, takes the language most speech was heard in; translated text stays English", () => {
    const heard = (starts: number[], detected: string | null, translated?: boolean): AvResult => ({
      ...av(starts, 600),
      language: translated ? "eng" : (detected ?? "und"),
      detected_language: detected,
      ...(translated ? { translated } : {}),
    });
    const merged = mergeParts([heard([1], "eng"), heard([300, 310, 320], "deu")], [], 600);
    expect(merged.kind === "av" && [merged.language, merged.detected_language]).toEqual(["deu", "deu"]);
    const translated = mergeParts([heard([1], "deu", true), heard([300, 310], "deu", true)], [], 600);
    expect(translated).toMatchObject({ language: "eng", detected_language: "deu", translated: true });
  });

  it("with language auto, drops the parts' language_not_detected once the recording's language was found", () => {
    const silent = "Whisper did not name the language it heard (no speech?)";
    const heard = (start: number, detected: string | null): AvResult => ({
      ...av([start], 1200),
      language: detected ?? "und",
      detected_language: detected,
      warnings: detected ? [] : [{ code: "language_not_detected", message: silent }],
    });
    const unused = { code: "vocabulary_unused" as const, message: "did not fit", terms: ["Acme"] };
    const found = mergeParts(
      [heard(0, "deu"), { ...heard(600, null), warnings: [...heard(600, null).warnings, unused] }],
      [],
      1200,
    );
    expect(found).toMatchObject({ language: "deu", detected_language: "deu" });
    expect(found.warnings).toEqual([unused]);
    // None found one: the recording's language is not named, and the warning says so (once).
    const none = mergeParts([heard(0, null), heard(600, null)], [], 1200);
    expect(none).toMatchObject({ language: "und", detected_language: null });
    expect(none.warnings).toEqual([{ code: "language_not_detected", message: silent }]);
  });

  it("orders segments by time and takes the job's duration", () => {
    const merged = mergeParts([av([600, 900], 1200), av([0, 300], 600)], [], 1200.5);
    expect(merged.kind === "av" && merged.segments.map((s) => s.start)).toEqual([0, 300, 600, 900]);
    expect(merged.kind === "av" && merged.duration_s).toBe(1200.5);
  });

  it("states the parts that failed, in part order, and keeps the rest", () => {
    const failed: PartFailure[] = [
      { part: 2, range: { unit: "pages", first: 5, last: 6 }, code: "engine_failed", message: "x" },
      { part: 0, range: { unit: "pages", first: 1, last: 2 }, code: "media_corrupt", message: "y" },
    ];
    const merged = mergeParts([ocr([3, 4])], failed, null);
    expect(merged.kind === "ocr" && merged.pages.map((p) => p.page)).toEqual([3, 4]);
    expect(merged.failed_parts?.map((f) => f.part)).toEqual([0, 2]);
  });

  it("refuses to merge nothing", () => {
    expect(() => mergeParts([], [], null)).toThrow(RangeError);
  });
});
