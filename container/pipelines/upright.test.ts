import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OcrResult } from "../../contracts/results";
import { LETTER, MediaFixtures, pdfText } from "../../test/support/media-fixtures";
import { characterErrorRate } from "../../test/support/text-metrics";
import { finalEvent, postFile, type RunnerReply } from "../testing/ndjson-client";
import { type RunningRunner, startRunner } from "../testing/runner-harness";

/**
 * Pages as people scan them: skewed a few degrees on the glass, fed upside down, turned a quarter.
 * Each is read upright, and says how it was turned.
 */
const EXPECTED = LETTER.join("\n");
const run = promisify(execFile);

let fixtures: MediaFixtures;
let runner: RunningRunner;

beforeAll(async () => {
  fixtures = new MediaFixtures(await mkdtemp(join(tmpdir(), "verbatim-upright-test-")));
  runner = await startRunner();
});
afterAll(async () => {
  await runner?.close();
  await rm(fixtures.dir, { recursive: true, force: true });
});

const ocr = (file: string, contentType: string, query = "") =>
  postFile(`${runner.baseUrl}/v1/ocr?language=eng${query}`, file, contentType);

function resultOf(reply: RunnerReply): { result: OcrResult; pdf: Buffer } {
  const last = finalEvent(reply);
  if (last.type !== "result" || last.result.kind !== "ocr" || last.pdf_base64 === undefined) {
    throw new Error(`expected an OCR result, got ${JSON.stringify(last).slice(0, 500)}`);
  }
  return { result: last.result, pdf: Buffer.from(last.pdf_base64, "base64") };
}

describe("pages read upright", () => {
  it.each([
    // Turned on the glass (degrees clockwise) → the turn that reads it: rotation, skew_deg.
    ["skewed 4°", 4, 0, -4],
    ["skewed −7°", -7, 0, 7],
    ["skewed 3°", 3, 0, -3],
    ["upside down", 180, 180, 0],
    ["upside down and skewed 4°", 184, 180, -4],
    ["turned a quarter clockwise", 90, 270, 0],
    ["turned a quarter counter-clockwise", 270, 90, 0],
    ["upright", 0, 0, 0],
  ])("reads a page %s and says how it was turned", async (_, degrees, rotation, skew) => {
    const page = await fixtures.scannedPage(`page-${degrees}.png`, LETTER, degrees);
    const { result } = resultOf(await ocr(page, "image/png"));
    const [read] = result.pages;
    expect(characterErrorRate(EXPECTED, read?.text ?? ""), read?.text).toBeLessThan(0.02);
    expect(read?.rotation).toBe(rotation);
    expect(read?.skew_deg).toBeCloseTo(skew, 0);
    expect(read?.confidence).toBeGreaterThan(0.85);
    expect(result.warnings).toEqual([]);
  });

  it("reads a scanned PDF mixing them, each page upright in the searchable PDF with its text", async () => {
    const pages = await Promise.all(
      [0, 4, 180, -6].map((degrees) => fixtures.scannedPage(`mixed-${degrees}.png`, LETTER, degrees)),
    );
    const pdf = await fixtures.scannedPdf("mixed-scan.pdf", pages);
    const { result, pdf: searchable } = resultOf(await ocr(pdf, "application/pdf"));
    expect(result.pages.map((p) => [p.page, p.rotation, Math.round(p.skew_deg)])).toEqual([
      [1, 0, 0],
      [2, 0, -4],
      [3, 180, 0],
      [4, 0, 6],
    ]);
    for (const page of result.pages) expect(characterErrorRate(EXPECTED, page.text), page.text).toBeLessThan(0.02);
    const saved = fixtures.path("mixed-searchable.pdf");
    await writeFile(saved, searchable);
    const pdfPages = (await pdfText(saved)).split("\f").filter((text) => text.trim() !== "");
    expect(pdfPages).toHaveLength(4);
    for (const text of pdfPages) expect(characterErrorRate(EXPECTED, text), text).toBeLessThan(0.05);
  });

  it("leaves pages as they are with rotate_pages and deskew off, and warns of the poor reading", async () => {
    for (const degrees of [4, 180]) {
      const page = await fixtures.scannedPage(`off-${degrees}.png`, LETTER, degrees);
      const { result } = resultOf(await ocr(page, "image/png", "&rotate_pages=false&deskew=false"));
      expect(result.pages[0]).toMatchObject({ rotation: 0, skew_deg: 0 });
      if (degrees === 180) {
        expect(result.pages[0]?.confidence).toBeLessThan(0.6);
        expect(result.warnings).toMatchObject([{ code: "low_confidence", page: 1 }]);
      }
    }
  });
});

describe("pages photographed, lit unevenly", () => {
  it.each([
    ["light falling off towards one edge", "edge", 0],
    ["light falling off towards the corners", "corner", 0],
    ["a shadow across one side", "shadow", 0],
    ["light falling off towards one edge, skewed 3°", "edge", 3],
    ["a shadow across one side, skewed −3°", "shadow", -3],
    // A portrait photo as a phone stores it: the sensor's landscape pixels (which recognition reads).
    ["light falling off towards the corners, stored a quarter turned", "corner", -90],
  ] as const)("reads a phone photo of a page with %s", async (_, light, degrees) => {
    const page = await fixtures.photographedPage(`photo-${light}-${degrees}.jpg`, LETTER, light, degrees);
    const { result } = resultOf(await ocr(page, "image/jpeg"));
    const [read] = result.pages;
    expect(characterErrorRate(EXPECTED, read?.text ?? ""), read?.text).toBeLessThan(0.02);
    expect(read?.rotation).toBe(degrees === -90 ? 90 : 0);
    expect(read?.skew_deg).toBeCloseTo(degrees === -90 ? 0 : -degrees, 0);
  });
});

describe("pages with a dark title band (white on dark)", () => {
  it.each([
    ["evenly lit, left as it is", "even"],
    ["lit unevenly, evened around the band", "edge"],
  ] as const)("reads the title and the text of one %s", async (_, light) => {
    const title = "Annual Report of the Company";
    const page = await fixtures.photographedPage(`band-${light}.jpg`, LETTER, light, 0, { titleBand: title });
    const { result } = resultOf(await ocr(page, "image/jpeg"));
    const [read] = result.pages;
    const lines = (read?.text ?? "").split("\n").filter((line) => line.trim() !== "");
    expect(lines, read?.text).toContain(title);
    const body = lines.slice(lines.indexOf(title) + 1).join("\n");
    expect(characterErrorRate(EXPECTED, body), read?.text).toBeLessThan(0.02);
  });
});

describe("the searchable PDF of a page read from a copy", () => {
  it.each([
    ["turned (a scan skewed 4°)", () => fixtures.scannedPage("size-skewed.png", LETTER, 4), "image/png"],
    [
      "evened (a phone photo with a shadow)",
      () => fixtures.photographedPage("size-photo.jpg", LETTER, "shadow"),
      "image/jpeg",
    ],
  ])("keeps the page at the image's resolution when it was %s", async (_, make, contentType) => {
    const { result, pdf } = resultOf(await ocr(await make(), contentType));
    const saved = fixtures.path(`size-${contentType.replace("/", "-")}.pdf`);
    await writeFile(saved, pdf);
    const size = /Page size:\s+([\d.]+) x ([\d.]+) pts/.exec((await run("pdfinfo", [saved])).stdout);
    // The images are at 150 dpi: a page of w × h pixels is w × 72 / 150 points wide.
    const [page] = result.pages;
    expect(Number(size?.[1])).toBeCloseTo(((page?.width ?? 0) * 72) / 150, 0);
    expect(Number(size?.[2])).toBeCloseTo(((page?.height ?? 0) * 72) / 150, 0);
  });
});
