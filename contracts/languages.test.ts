import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_OCR_LANGUAGES, languageAvailable } from "./languages";

describe("the default OCR languages", () => {
  const defaults = [...DEFAULT_OCR_LANGUAGES].join(" ");
  it("are what scripts/setup-system.sh installs", () => {
    const script = readFileSync("scripts/setup-system.sh", "utf8");
    expect(/OCR_LANGUAGES="\$\{OCR_LANGUAGES:-([^}]*)\}"/.exec(script)?.[1]).toBe(defaults);
  });
  it("are what the runner's image installs", () => {
    const dockerfile = readFileSync("container/Dockerfile", "utf8");
    expect(/^ARG OCR_LANGUAGES="([^"]*)"$/m.exec(dockerfile)?.[1]).toBe(defaults);
  });
});

describe("languageAvailable", () => {
  const available = { ocr: ["deu", "eng"], av: ["eng"] };
  it("takes installed OCR languages alone or joined with +, and one speech language", () => {
    expect(languageAvailable("ocr", "deu", available)).toBe(true);
    expect(languageAvailable("ocr", "deu+eng", available)).toBe(true);
    expect(languageAvailable("ocr", "deu+jpn", available)).toBe(false);
    expect(languageAvailable("av", "eng", available)).toBe(true);
    expect(languageAvailable("av", "deu", available)).toBe(false);
    expect(languageAvailable("av", "eng+eng", available)).toBe(false);
  });
});
