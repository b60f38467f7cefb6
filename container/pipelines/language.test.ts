import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OcrResult } from "../../contracts/results";
import { LETTER, MediaFixtures } from "../../test/support/media-fixtures";
import { characterErrorRate } from "../../test/support/text-metrics";
import type { OcrEngine } from "../engines/ocr-engine";
import { tesseract } from "../engines/tesseract";
import { finalEvent, postFile, type RunnerReply } from "../testing/ndjson-client";
import { type RunningRunner, startRunner } from "../testing/runner-harness";

/** A German letter of a dozen lines, umlauts and ß included. */
const BRIEF = [
  "Sehr geehrte Kundin, vielen Dank für Ihre Bestellung vom fünften März.",
  "Das Paket mit den drei Büchern, die Sie bestellt haben, hat heute",
  "Morgen unser Lager verlassen und sollte Sie in zwei Tagen erreichen.",
  "Ihre Rechnungsnummer ist 4711, der Gesamtbetrag beträgt 86 Euro.",
  "Bitte überweisen Sie ihn innerhalb von dreißig Tagen auf das Konto.",
  "Falls etwas fehlt oder beschädigt ist, schreiben Sie uns bitte an die",
  "Adresse oben auf diesem Brief, und wir ersetzen es sofort.",
  "Mit freundlichen Grüßen von allen aus der kleinen Buchhandlung am Fluss.",
];

let fixtures: MediaFixtures;
/** The languages each engine run was asked to read in, and how often script detection ran. */
const runs: string[] = [];
let detections = 0;
const watched = (languages?: string[]): OcrEngine => ({
  ...tesseract,
  languages: async (run) => languages ?? tesseract.languages(run),
  recognize: (run, images, options) => {
    runs.push(options.language);
    return tesseract.recognize(run, images, options);
  },
  orientation: (run, image) => {
    detections++;
    return tesseract.orientation(run, image);
  },
});
let latin: RunningRunner;
let manyScripts: RunningRunner;

beforeAll(async () => {
  fixtures = new MediaFixtures(await mkdtemp(join(tmpdir(), "verbatim-language-test-")));
  latin = await startRunner({ ocr: watched() });
  // A deployment that also reads Russian (as far as the runner is told): the page's script is detected first.
  const installed = [...(await tesseract.languages((await import("../exec")).execFile)), "rus"];
  manyScripts = await startRunner({ ocr: watched(installed) });
});
afterAll(async () => {
  await latin?.close();
  await manyScripts?.close();
  await rm(fixtures.dir, { recursive: true, force: true });
});

async function readAuto(runner: RunningRunner, file: string, type: string): Promise<OcrResult> {
  runs.length = 0;
  detections = 0;
  const reply: RunnerReply = await postFile(`${runner.baseUrl}/v1/ocr?language=auto`, file, type);
  const last = finalEvent(reply);
  if (last.type !== "result" || last.result.kind !== "ocr") throw new Error(JSON.stringify(last).slice(0, 500));
  return last.result;
}

describe('language "auto"', () => {
  it("finds German, reads the document in German (umlauts and ß), and says so", async () => {
    const pages = await Promise.all([0, 1].map((n) => fixtures.scannedPage(`brief-${n}.png`, BRIEF)));
    const pdf = await fixtures.scannedPdf("brief.pdf", pages);
    const result = await readAuto(latin, pdf, "application/pdf");
    expect([result.language, result.detected_language]).toEqual(["deu", "deu"]);
    for (const page of result.pages) {
      expect(characterErrorRate(BRIEF.join("\n"), page.text), page.text).toBeLessThan(0.02);
    }
    expect(result.pages[0]?.text).toContain("Grüßen");
    // A first page read in English to tell the language, then the document in German (a run per batch).
    expect(runs[0]).toBe("eng");
    expect(new Set(runs.slice(1))).toEqual(new Set(["deu"]));
    expect(detections).toBe(0); // one script among the languages installed: nothing to detect
  });

  it("keeps the first reading of an English document: no page is read twice", async () => {
    const page = await fixtures.scannedPage("letter.png", LETTER);
    const result = await readAuto(latin, page, "image/png");
    expect([result.language, result.detected_language]).toEqual(["eng", "eng"]);
    expect(characterErrorRate(LETTER.join("\n"), result.pages[0]?.text ?? "")).toBeLessThan(0.02);
    expect(runs).toEqual(["eng"]);
  });

  it("detects the page's script first where the deployment reads several, then the language among that script's", async () => {
    const page = await fixtures.scannedPage("brief-scripts.png", BRIEF);
    const result = await readAuto(manyScripts, page, "image/png");
    expect([result.language, result.detected_language]).toEqual(["deu", "deu"]);
    expect(detections).toBeGreaterThanOrEqual(1);
    expect(runs).toEqual(["eng", "deu"]);
  });

  it("reads a page with too little text to tell in English, and says nothing was detected", async () => {
    const page = await fixtures.scannedPage("short.png", ["Hallo"]);
    const result = await readAuto(latin, page, "image/png");
    expect([result.language, result.detected_language]).toEqual(["eng", null]);
  });
});
