import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OcrPage, OcrResult } from "../../contracts/results";
import { MediaFixtures, pdfPageCount, pdfText } from "../../test/support/media-fixtures";
import { characterErrorRate } from "../../test/support/text-metrics";
import type { OcrEngine } from "../engines/ocr-engine";
import { tesseract } from "../engines/tesseract";
import { ProcessPool } from "../pool";
import { finalEvent, postFile, progressEvents, type RunnerReply } from "../testing/ndjson-client";
import { type RunningRunner, startRunner } from "../testing/runner-harness";
import { mediaCorrupt } from "./failures";
import { renderDpi } from "./ocr";

const run = promisify(execFile);

const PAGE_ONE = ["Verbatim extracts text from scanned pages.", "The quick brown fox jumps over the lazy dog."];
const PAGE_TWO = ["Invoices, receipts and letters arrive daily.", "Numbers such as 42 and 1984 must survive."];
const PAGE_THREE = ["The third page closes the document politely."];
const BORN_DIGITAL = ["This page was typeset, not scanned.", "Its text layer is taken as it is."];

/** Budget for character errors on clean synthetic text; tesseract typically makes none here. */
const MAX_CER = 0.05;

let fixtures: MediaFixtures;
let runner: RunningRunner;
/** Images the OCR engine was asked to recognize, to tell OCR'd pages from text-layer pages. */
const recognizedImages: string[] = [];
/** The page numbers of each engine run. */
const engineRuns: number[][] = [];
const files: Record<string, string> = {};
/** The real engine, noting what it is asked to do. */
const countingTesseract: OcrEngine = {
  ...tesseract,
  recognize: (run, images, options) => {
    recognizedImages.push(...images.map((image) => image.path));
    engineRuns.push(images.map((image) => image.page));
    return tesseract.recognize(run, images, options);
  },
};

beforeAll(async () => {
  fixtures = new MediaFixtures(await mkdtemp(join(tmpdir(), "verbatim-ocr-test-")));
  runner = await startRunner({ ocr: countingTesseract });

  const [one, two, three] = await Promise.all([
    fixtures.textImage("one.png", PAGE_ONE),
    fixtures.textImage("two.png", PAGE_TWO),
    fixtures.textImage("three.png", PAGE_THREE),
  ]);
  Object.assign(files, { one, two, three });
  const [jpeg, webp, tiff, scan, bornDigital] = await Promise.all([
    fixtures.convertImage(one, "one.jpg"),
    fixtures.convertImage(one, "one.webp"),
    fixtures.multiPageTiff("three-pages.tif", [one, two, three]),
    fixtures.scannedPdf("scan.pdf", [one, two]),
    fixtures.textPdf("born-digital.pdf", [BORN_DIGITAL]),
  ]);
  Object.assign(files, { jpeg, webp, tiff, scan, bornDigital });
  files.mixed = await fixtures.concatPdfs("mixed.pdf", [bornDigital, files.scan as string]);
});

afterAll(async () => {
  await runner?.close();
  await rm(fixtures.dir, { recursive: true, force: true });
});

const ocr = (file: string, contentType: string, language = "eng") =>
  postFile(`${runner.baseUrl}/v1/ocr?language=${encodeURIComponent(language)}`, file, contentType);

function resultOf(reply: RunnerReply): { result: OcrResult; pdf: Buffer } {
  const last = finalEvent(reply);
  if (last.type !== "result") throw new Error(`expected a result, got ${JSON.stringify(last)}`);
  if (last.result.kind !== "ocr" || last.pdf_base64 === undefined) throw new Error("expected an OCR result with a PDF");
  return { result: last.result, pdf: Buffer.from(last.pdf_base64, "base64") };
}

/** Writes the returned searchable PDF to disk and reads it back with poppler. */
async function inspectPdf(pdf: Buffer): Promise<{ pages: number; text: string }> {
  const path = fixtures.path(`returned-${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(path, pdf);
  return { pages: await pdfPageCount(path), text: await pdfText(path) };
}

function expectWellFormedWords(page: OcrPage) {
  const words = page.blocks.flatMap((block) => block.lines.flatMap((line) => line.words));
  expect(words.length).toBeGreaterThan(5);
  for (const { bbox, confidence } of words) {
    const [x0, y0, x1, y1] = bbox;
    expect(x0).toBeGreaterThanOrEqual(0);
    expect(y0).toBeGreaterThanOrEqual(0);
    expect(x1).toBeGreaterThan(x0);
    expect(y1).toBeGreaterThan(y0);
    expect(x1).toBeLessThanOrEqual(page.width);
    expect(y1).toBeLessThanOrEqual(page.height);
    expect(confidence).toBeGreaterThan(0);
    expect(confidence).toBeLessThanOrEqual(1);
  }
}

/** `pdf` with its text edited (qpdf's editable form, lengths and cross-references fixed after). */
async function editedPdf(pdf: string, edit: (text: string) => string): Promise<string> {
  const editable = `${pdf}.qdf`;
  await run("qpdf", ["--qdf", "--object-streams=disable", pdf, editable]);
  await writeFile(editable, edit(await readFile(editable, "latin1")), "latin1");
  const edited = `${pdf}.edited.pdf`;
  const { stdout } = await run("fix-qdf", [editable], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 });
  await writeFile(edited, stdout);
  return edited;
}

/**
 * `word` sits in the searchable PDF where the JSON says it is on `page`: JSON boxes are in pixels
 * at `dpi`, the PDF's in points (72 per inch), within 3 points.
 */
async function expectWordPlaced(pdfPath: string, page: OcrPage, word: string, dpi: number) {
  const n = String(page.page);
  const placed = (await run("pdftotext", ["-bbox", "-f", n, "-l", n, pdfPath, "-"])).stdout;
  const inPdf = new RegExp(`<word xMin="([\\d.]+)" yMin="([\\d.]+)"[^>]*>${word}</word>`).exec(placed);
  const inJson = page.blocks.flatMap((b) => b.lines.flatMap((l) => l.words)).find((w) => w.text === word);
  expect(Math.abs(Number(inPdf?.[1]) - ((inJson?.bbox[0] ?? 0) * 72) / dpi)).toBeLessThan(3);
  expect(Math.abs(Number(inPdf?.[2]) - ((inJson?.bbox[1] ?? 0) * 72) / dpi)).toBeLessThan(3);
}

describe("POST /v1/ocr", () => {
  it("recognizes a PNG: probe, progress, then the text with word boxes and a searchable PDF", async () => {
    const reply = await ocr(files.one as string, "image/png");
    expect(reply.events[0]?.event).toEqual({ type: "probe", pages: 1, duration_s: null });
    expect(progressEvents(reply).map(({ done, total }) => `${done}/${total}`)).toEqual(["0/1", "1/1"]);

    const { result, pdf } = resultOf(reply);
    expect(result).toMatchObject({ kind: "ocr", engine: "tesseract", language: "eng" });
    const [page] = result.pages;
    expect(page).toMatchObject({ page: 1, unit: "px", source: "ocr", width: 1240, height: 480 });
    expect(characterErrorRate(PAGE_ONE.join("\n"), page?.text ?? "")).toBeLessThan(MAX_CER);
    expectWellFormedWords(page as OcrPage);
    const quick = page?.blocks.flatMap((b) => b.lines.flatMap((l) => l.words)).find((w) => w.text === "quick");
    // Line 2 is drawn with its baseline at y = 150 px, 60 px from the left edge.
    expect(quick?.bbox[1]).toBeGreaterThan(110);
    expect(quick?.bbox[3]).toBeLessThan(165);

    const returned = await inspectPdf(pdf);
    expect(returned.pages).toBe(1);
    expect(returned.text).toContain("quick brown fox");
  });

  it.each([
    ["jpeg", "image/jpeg"],
    ["webp", "image/webp"],
  ])("recognizes a %s image", async (file, contentType) => {
    const { result } = resultOf(await ocr(files[file] as string, contentType));
    expect(characterErrorRate(PAGE_ONE.join("\n"), result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
  });

  it("recognizes every page of a multi-page TIFF, in page order", async () => {
    const reply = await ocr(files.tiff as string, "image/tiff");
    expect(reply.events[0]?.event).toEqual({ type: "probe", pages: 3, duration_s: null });
    expect(progressEvents(reply).map(({ done }) => done)).toEqual([0, 1, 2, 3]);
    const { result, pdf } = resultOf(reply);
    expect(result.pages.map((page) => page.page)).toEqual([1, 2, 3]);
    for (const [index, expected] of [PAGE_ONE, PAGE_TWO, PAGE_THREE].entries()) {
      expect(characterErrorRate(expected.join("\n"), result.pages[index]?.text ?? "")).toBeLessThan(MAX_CER);
    }
    expect((await inspectPdf(pdf)).pages).toBe(3);
  });

  it("recognizes a few consecutive pages per engine run, at least one run per core, reporting each page", async () => {
    const pages = [PAGE_ONE, PAGE_TWO, PAGE_THREE, PAGE_ONE, PAGE_TWO, PAGE_THREE, PAGE_ONE];
    const [one, two, three] = [files.one, files.two, files.three] as [string, string, string];
    const tiff = await fixtures.multiPageTiff("seven-pages.tif", [one, two, three, one, two, three, one]);
    engineRuns.length = 0;
    const reply = await ocr(tiff, "image/tiff");
    // The test runner has 2 engine slots: 7 pages make runs of 4 and 3 (and no more than 5 in one run).
    expect(engineRuns.sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0))).toEqual([
      [1, 2, 3, 4],
      [5, 6, 7],
    ]);
    expect(progressEvents(reply).map(({ done }) => done)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    const { result, pdf } = resultOf(reply);
    expect(result.pages.map((page) => page.page)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [index, expected] of pages.entries()) {
      expect(characterErrorRate(expected.join("\n"), result.pages[index]?.text ?? "")).toBeLessThan(MAX_CER);
    }
    // The searchable PDF has the pages in order: page 2's text before page 6's, 6's before 7's.
    const { pages: count, text } = await inspectPdf(pdf);
    expect(count).toBe(7);
    const pageTexts = text.split("\f");
    expect(pageTexts[1]).toContain("receipts and letters");
    expect(pageTexts[5]).toContain("third page");
    expect(pageTexts[6]).toContain("quick brown fox");
  });

  it("recognizes only the pages asked for, keeping their numbers in the document (one part of a fan-out)", async () => {
    const reply = await postFile(
      `${runner.baseUrl}/v1/ocr?language=eng&first_page=2&last_page=3`,
      files.tiff as string,
      "image/tiff",
    );
    expect(reply.events[0]?.event).toEqual({ type: "probe", pages: 3, duration_s: null });
    expect(progressEvents(reply).map(({ done, total }) => `${done}/${total}`)).toEqual(["0/2", "1/2", "2/2"]);
    const { result, pdf } = resultOf(reply);
    expect(result.pages.map((page) => page.page)).toEqual([2, 3]);
    expect(characterErrorRate(PAGE_THREE.join("\n"), result.pages[1]?.text ?? "")).toBeLessThan(MAX_CER);
    expect((await inspectPdf(pdf)).pages).toBe(2);
  });

  it("refuses a page range outside the document as validation_failed, not retryable", async () => {
    const beyond = await postFile(
      `${runner.baseUrl}/v1/ocr?language=eng&first_page=3&last_page=4`,
      files.tiff as string,
      "image/tiff",
    );
    expect(finalEvent(beyond)).toMatchObject({ type: "error", code: "validation_failed", retryable: false });
    const half = await postFile(
      `${runner.baseUrl}/v1/ocr?language=eng&first_page=2`,
      files.tiff as string,
      "image/tiff",
    );
    expect(half.status).toBe(422);
  });

  it("reads only the pages options.pages selects: counted, returned under their numbers, alone in the searchable PDF", async () => {
    const scan = await fixtures.scannedPdf("three-page-scan.pdf", [
      files.one as string,
      files.two as string,
      files.three as string,
    ]);
    const reply = await postFile(`${runner.baseUrl}/v1/ocr?language=eng&pages=3,1`, scan, "application/pdf");
    expect(reply.events[0]?.event).toEqual({ type: "probe", pages: 2, duration_s: null });
    expect(progressEvents(reply).map(({ done, total }) => `${done}/${total}`)).toEqual(["0/2", "1/2", "2/2"]);
    const { result, pdf } = resultOf(reply);
    expect(result.pages.map((page) => page.page)).toEqual([1, 3]);
    expect(characterErrorRate(PAGE_ONE.join("\n"), result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
    expect(characterErrorRate(PAGE_THREE.join("\n"), result.pages[1]?.text ?? "")).toBeLessThan(MAX_CER);
    const inspected = await inspectPdf(pdf);
    expect(inspected.pages).toBe(2);
    expect(inspected.text).toContain("third page");
    expect(inspected.text).not.toContain("Invoices");

    // A part of a fanned-out job reads the selected pages within its range.
    const part = resultOf(
      await postFile(
        `${runner.baseUrl}/v1/ocr?language=eng&pages=1,3&first_page=2&last_page=3`,
        scan,
        "application/pdf",
      ),
    );
    expect(part.result.pages.map((page) => page.page)).toEqual([3]);

    const planned = finalEvent(
      await postFile(`${runner.baseUrl}/v1/plan?pages_per_part=1&pages=1,3`, scan, "application/pdf"),
    );
    expect(planned).toEqual({
      type: "plan",
      pages: 2,
      duration_s: null,
      parts: [
        { unit: "pages", first: 1, last: 1 },
        { unit: "pages", first: 3, last: 3 },
      ],
    });
  });

  it("fails pages past the document's end as pages_out_of_range, and refuses a selection it cannot read", async () => {
    const beyond = await postFile(
      `${runner.baseUrl}/v1/ocr?language=eng&pages=2-4`,
      files.tiff as string,
      "image/tiff",
    );
    expect(finalEvent(beyond)).toEqual({
      type: "error",
      code: "pages_out_of_range",
      message: "Pages 2–4 were asked for; the document has 3 pages",
      retryable: false,
    });
    const plan = await postFile(`${runner.baseUrl}/v1/plan?pages=7`, files.tiff as string, "image/tiff");
    expect(finalEvent(plan)).toMatchObject({ type: "error", code: "pages_out_of_range", retryable: false });
    const unreadable = await postFile(
      `${runner.baseUrl}/v1/ocr?language=eng&pages=2-x`,
      files.tiff as string,
      "image/tiff",
    );
    expect(unreadable.status).toBe(422);
  });

  it("plans parts of a document by pages, and merges part PDFs in order", async () => {
    const planned = finalEvent(
      await postFile(`${runner.baseUrl}/v1/plan?pages_per_part=2`, files.tiff as string, "image/tiff"),
    );
    expect(planned).toEqual({
      type: "plan",
      pages: 3,
      duration_s: null,
      parts: [
        { unit: "pages", first: 1, last: 2 },
        { unit: "pages", first: 3, last: 3 },
      ],
    });

    const parts = await Promise.all(
      [
        [3, 3],
        [1, 2],
      ].map(async ([first, last]) => {
        const url = `${runner.baseUrl}/v1/ocr?language=eng&first_page=${first}&last_page=${last}`;
        return resultOf(await postFile(url, files.tiff as string, "image/tiff")).pdf;
      }),
    );
    const form = new FormData();
    for (const pdf of parts) form.append("file", new Blob([new Uint8Array(pdf)], { type: "application/pdf" }));
    const merged = await fetch(`${runner.baseUrl}/v1/pdf/merge`, { method: "POST", body: form });
    expect(merged.status).toBe(200);
    expect(merged.headers.get("content-type")).toBe("application/pdf");
    const inspected = await inspectPdf(Buffer.from(await merged.arrayBuffer()));
    expect(inspected.pages).toBe(3);
    // Merged in the order sent: page 3's text comes before page 1's.
    expect(inspected.text.indexOf("third page")).toBeLessThan(inspected.text.indexOf("quick brown"));

    const empty = await fetch(`${runner.baseUrl}/v1/pdf/merge`, { method: "POST", body: new FormData() });
    expect(empty.status).toBe(422);
  });

  it("merges with the original pages of a part that failed, in their place, and falls back to the parts alone", async () => {
    const source = await fixtures.scannedPdf("three-scanned.pdf", [
      files.one as string,
      files.two as string,
      files.three as string,
    ]);
    const [first, third] = await Promise.all(
      [1, 3].map(async (page) => {
        const url = `${runner.baseUrl}/v1/ocr?language=eng&first_page=${page}&last_page=${page}`;
        return resultOf(await postFile(url, source, "application/pdf")).pdf;
      }),
    );
    const merge = async (layout: unknown, sourceBytes: Uint8Array | null) => {
      const form = new FormData();
      for (const pdf of [first, third])
        form.append("file", new Blob([new Uint8Array(pdf as Buffer)], { type: "application/pdf" }));
      if (sourceBytes) form.append("source", new Blob([sourceBytes], { type: "application/pdf" }));
      form.append("layout", JSON.stringify(layout));
      return fetch(`${runner.baseUrl}/v1/pdf/merge`, { method: "POST", body: form });
    };
    const layout = [{ file: 0 }, { source: [2, 2] }, { file: 1 }];
    const merged = await merge(layout, new Uint8Array(await readFile(source)));
    expect(merged.status).toBe(200);
    const whole = await inspectPdf(Buffer.from(await merged.arrayBuffer()));
    expect(whole.pages).toBe(3);
    // Page 2 is there, as scanned, with no text layer; pages 1 and 3 carry theirs, in order.
    expect(whole.text).not.toContain("Invoices");
    expect(whole.text.indexOf("quick brown")).toBeGreaterThan(-1);
    expect(whole.text.indexOf("quick brown")).toBeLessThan(whole.text.indexOf("politely"));

    const damaged = await merge(layout, new TextEncoder().encode("%PDF-1.7 not really"));
    expect(damaged.status).toBe(200);
    expect((await inspectPdf(Buffer.from(await damaged.arrayBuffer()))).pages).toBe(2);

    for (const bad of [[{ file: 2 }], [{ source: [2, 2] }, { page: 1 }], [{ source: [3, 2] }], "not a layout"]) {
      expect((await merge(bad, null)).status).toBe(422);
    }
  });

  it("refuses an image with more pixels than a page may have, before running OCR on it", async () => {
    const small = await startRunner({ maxPageMegapixels: 1 });
    try {
      const big = fixtures.path("big.png");
      await run("convert", ["-size", "2000x1000", "xc:white", big]);
      const reply = await postFile(`${small.baseUrl}/v1/ocr?language=eng`, big, "image/png");
      expect(finalEvent(reply)).toMatchObject({ type: "error", code: "limit_exceeded", retryable: false });
      expect(JSON.stringify(finalEvent(reply))).toContain("2000×1000 pixels (2 MP); at most 1 MP");
    } finally {
      await small.close();
    }
  });

  it("renders an oversized PDF sheet at a lower resolution to stay within the pixel limit", async () => {
    const limited = await startRunner({ maxPageMegapixels: 20 });
    try {
      const poster = fixtures.path("poster.pdf");
      await run("img2pdf", ["--pagesize", "30inx30in", files.one as string, "-o", poster]);
      const { result } = resultOf(await postFile(`${limited.baseUrl}/v1/ocr?language=eng`, poster, "application/pdf"));
      const [page] = result.pages;
      // 30 inches at 300 dpi would be 81 MP; at 149 dpi it is 20 MP.
      expect((page?.width ?? 0) * (page?.height ?? 0)).toBeLessThanOrEqual(20_000_000);
      expect(page?.width).toBeGreaterThan(4000);
      expect(characterErrorRate(PAGE_ONE.join("\n"), page?.text ?? "")).toBeLessThan(MAX_CER);
    } finally {
      await limited.close();
    }
  });

  it("reads TIFF pages with 16 bits per sample (converted to 8-bit before OCR)", async () => {
    const deep = fixtures.path("deep.tif");
    await run("convert", [files.one as string, "-depth", "16", deep]);
    const { stdout } = await run("tiffinfo", [deep]);
    expect(stdout).toMatch(/Bits\/Sample: 16/);
    const { result } = resultOf(await ocr(deep, "image/tiff"));
    expect(characterErrorRate(PAGE_ONE.join("\n"), result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
  });

  it("renders and recognizes the pages of a scanned PDF whose images do not fill the page", async () => {
    const { result, pdf } = resultOf(await ocr(files.scan as string, "application/pdf"));
    expect(result.pages.map(({ page, unit, source }) => ({ page, unit, source }))).toEqual([
      { page: 1, unit: "px", source: "ocr" },
      { page: 2, unit: "px", source: "ocr" },
    ]);
    expect(characterErrorRate(PAGE_ONE.join("\n"), result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
    expect(characterErrorRate(PAGE_TWO.join("\n"), result.pages[1]?.text ?? "")).toBeLessThan(MAX_CER);
    // A4 rendered at 300 dpi.
    expect([result.pages[0]?.width, result.pages[0]?.height]).toEqual([2481, 3508]);
    expectWellFormedWords(result.pages[1] as OcrPage);

    const returned = await inspectPdf(pdf);
    expect(returned.pages).toBe(2);
    expect(returned.text).toContain("receipts and letters");

    // The original pages are kept as they were (their own images, no re-rendered raster), with the
    // text laid over them where the words are on the page.
    const saved = fixtures.path("searchable-scan.pdf");
    await writeFile(saved, pdf);
    const images = async (file: string) =>
      (await run("pdfimages", ["-list", file])).stdout
        .split("\n")
        .slice(2)
        .filter(Boolean)
        .map((l) => l.split(/\s+/).slice(4, 6).join("x"));
    expect(await images(saved)).toEqual(await images(files.scan as string));
    expect((await run("pdfinfo", [saved])).stdout).toMatch(/Page size:\s+595\.\d* x 841\.\d*/);
    await expectWordPlaced(saved, result.pages[1] as OcrPage, "receipts", 300);
  });

  it.each([
    ["Flate data with PNG predictors, given to the engine as a PNG", "png", /page-1\.png$/],
    ["a JPEG, decoded by poppler", "jpg", /-000\.tif$/],
    ["CCITT fax data, decoded by poppler", "tif", /-000\.tif$/],
  ])("recognizes a full-page scan from its own image as stored, not a render of it: %s", async (_, format, file) => {
    // A4 scanned at 150 dpi: an image that covers the whole page.
    const image = fixtures.path("full-page.png");
    const lines = PAGE_ONE.flatMap((line, index) => ["-annotate", `+60+${90 + index * 60}`, line]);
    await run("convert", [
      ...["-size", "1240x1754", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "36", "-fill", "black"],
      ...lines,
      ...["-units", "PixelsPerInch", "-density", "150", image],
    ]);
    const stored = fixtures.path(`full-page-stored.${format}`);
    const encode =
      { png: [], jpg: ["-quality", "90"], tif: ["-threshold", "50%", "-compress", "Group4"] }[format] ?? [];
    await run("convert", [image, ...encode, stored]);
    const scan = await fixtures.scannedPdf(`full-page-${format}.pdf`, [stored]);
    recognizedImages.length = 0;
    const { result, pdf } = resultOf(await ocr(scan, "application/pdf"));
    // The engine read the scan's own pixels (150 dpi), not a 300 dpi rendering.
    expect(recognizedImages).toEqual([expect.stringMatching(file)]);
    expect([result.pages[0]?.width, result.pages[0]?.height]).toEqual([1240, 1754]);
    expect(characterErrorRate(PAGE_ONE.join("\n"), result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
    // The text layer sits where the words are: boxes in pixels at 150 dpi, the PDF's in points.
    const saved = fixtures.path(`searchable-full-page-${format}.pdf`);
    await writeFile(saved, pdf);
    await expectWordPlaced(saved, result.pages[0] as OcrPage, "quick", 150);
  });

  it("renders a full-page scan whose content draws its image flipped, instead of reading its pixels upside down", async () => {
    // The image is stored upside down and the page's content flips it back (a matrix with a negative
    // height), so the page reads the right way up while the image's own pixels do not.
    const image = fixtures.path("upside-down.png");
    await run("convert", [
      ...["-size", "1240x1754", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "36", "-fill", "black"],
      ...PAGE_TWO.flatMap((line, index) => ["-annotate", `+60+${90 + index * 60}`, line]),
      ...["-flip", "-units", "PixelsPerInch", "-density", "150", image],
    ]);
    const document = await editedPdf(await fixtures.scannedPdf("upside-down.pdf", [image]), (text) =>
      text.replace(
        /([\d.]+) 0 0 ([\d.]+) ([\d.]+) ([\d.]+) cm/,
        (_, width, height, x, y) => `${width} 0 0 -${height} ${x} ${Number(y) + Number(height)} cm`,
      ),
    );

    recognizedImages.length = 0;
    const { result } = resultOf(await ocr(document, "application/pdf"));
    expect(recognizedImages).toEqual([expect.stringMatching(/page-1\.pgm$/)]);
    expect(characterErrorRate(PAGE_TWO.join("\n"), result.pages[0]?.text ?? "")).toBeLessThan(MAX_CER);
  });

  it.each([
    [
      "an annotation, which draws over the page",
      (text: string) =>
        text.replace(
          "/Type /Page\n",
          "/Type /Page\n  /Annots [ << /Type /Annot /Subtype /Square /Rect [ 0 600 595 842 ] >> ]\n",
        ),
    ],
    [
      "a crop box of the image's size that shows another part of the sheet",
      // The sheet doubled, and the crop box on its upper right quarter: the image, at the sheet's corner, is not seen.
      (text: string) =>
        text.replace(
          /\/MediaBox \[[^\]]*\]/,
          "/MediaBox [ 0 0 1190.55 1683.78 ] /CropBox [ 595.275591 841.889764 1190.55 1683.78 ]",
        ),
    ],
  ])("renders a full-page scan whose page has %s, instead of reading the image's pixels", async (_, edit) => {
    const image = fixtures.path("annotated.png");
    await run("convert", [
      files.one as string,
      "-resize",
      "1240x1754!",
      "-units",
      "PixelsPerInch",
      "-density",
      "150",
      image,
    ]);
    const plain = await fixtures.scannedPdf("annotated-plain.pdf", [image]);
    // Edited without the change, the page is still read from its image (stored uncompressed by the edit).
    recognizedImages.length = 0;
    resultOf(await ocr(await editedPdf(plain, (text) => text), "application/pdf"));
    expect(recognizedImages).toEqual([expect.stringMatching(/-000\.tif$/)]);
    recognizedImages.length = 0;
    resultOf(await ocr(await editedPdf(plain, edit), "application/pdf"));
    expect(recognizedImages).toEqual([expect.stringMatching(/page-1\.pgm$/)]);
  });

  it("leaves a scan whose stored PNG data is damaged to poppler, which decodes what it can, as before", async () => {
    const image = fixtures.path("damaged-page.png");
    await run("convert", [
      ...["-size", "1240x1754", "plasma:", "-colorspace", "Gray", "-depth", "8"],
      ...["-units", "PixelsPerInch", "-density", "150", image],
    ]);
    const pdf = await readFile(await fixtures.scannedPdf("damaged.pdf", [image]));
    // Overwrite bytes in the middle of the longest stream: the image's compressed data.
    let longest = { start: 0, end: 0 };
    for (let at = pdf.indexOf("stream\n"); at >= 0; at = pdf.indexOf("stream\n", at + 1)) {
      const end = pdf.indexOf("endstream", at);
      if (end - at > longest.end - longest.start) longest = { start: at, end };
    }
    const middle = Math.floor((longest.start + longest.end) / 2);
    pdf.fill(0x55, middle, middle + 64);
    const damaged = fixtures.path("damaged-scan.pdf");
    await writeFile(damaged, pdf);
    recognizedImages.length = 0;
    expect(finalEvent(await ocr(damaged, "application/pdf"))).toMatchObject({ type: "result" });
    // Read from poppler's decoding of the page's own image, not a rendering (or from an evenly lit
    // copy of that decoding, named after it: the noise is lit unevenly). Noise reads poorly, so
    // orientation detection may (by its own judgement) have the page turned and read once more.
    const [first, ...rereads] = recognizedImages;
    expect(first).toMatch(/-000\.tif(-even-[\w-]+\.pgm)?$/);
    for (const path of rereads) expect(path).toMatch(/page-1-again/);
  });

  it("takes a page's own text layer instead of running OCR on it", async () => {
    recognizedImages.length = 0;
    const { result, pdf } = resultOf(await ocr(files.mixed as string, "application/pdf"));
    const [typeset, ...scanned] = result.pages;
    expect(typeset).toMatchObject({ page: 1, unit: "pt", source: "text-layer", width: 595, height: 842 });
    expect(typeset?.text).toBe(BORN_DIGITAL.join("\n"));
    expect(typeset?.blocks[0]?.lines[0]?.words[0]).toMatchObject({ text: "This", confidence: 1 });
    expect(scanned.map(({ page, source }) => ({ page, source }))).toEqual([
      { page: 2, source: "ocr" },
      { page: 3, source: "ocr" },
    ]);
    // Only the two scanned pages went through the OCR engine.
    expect(recognizedImages).toHaveLength(2);

    const returned = await inspectPdf(pdf);
    expect(returned.pages).toBe(3);
    // Each page carries its own text: the text layer stays on page 1, the recognized text goes onto 2 and 3.
    const [first, second, third] = returned.text.split("\f");
    expect(first).toContain("typeset, not scanned");
    expect(second).toContain("quick brown fox");
    expect(third).toContain("receipts and letters");
  });

  it("lays each page's text over its own page when the pages of a batch differ in resolution", async () => {
    // Pages 1 and 3: full-page scans at 150 dpi (recognized from their images); page 2: an image not
    // filling its page (rendered at 300 dpi). One engine slot makes them one batch, recognized in two
    // runs (150 dpi: pages 1 and 3; 300 dpi: page 2), whose text pages go back in page order.
    const fullPage = async (name: string, lines: string[]) => {
      const image = fixtures.path(`${name}.png`);
      await run("convert", [
        ...["-size", "1240x1754", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "36", "-fill", "black"],
        ...lines.flatMap((line, index) => ["-annotate", `+60+${90 + index * 60}`, line]),
        ...["-units", "PixelsPerInch", "-density", "150", image],
      ]);
      return fixtures.scannedPdf(`${name}.pdf`, [image]);
    };
    const document = await fixtures.concatPdfs("resolutions.pdf", [
      await fullPage("first-150", ["A page scanned at 150 dots per inch.", "Its second line holds a marker word."]),
      await fixtures.scannedPdf("middle-300.pdf", [files.one as string]),
      await fullPage("last-150", ["The last page was scanned alike.", "Its second line holds the last mark."]),
    ]);
    const oneSlot = await startRunner({ ocr: countingTesseract, pool: new ProcessPool(1) });
    try {
      engineRuns.length = 0;
      const { result, pdf } = resultOf(
        await postFile(`${oneSlot.baseUrl}/v1/ocr?language=eng`, document, "application/pdf"),
      );
      expect(engineRuns).toEqual([[1, 3], [2]]);
      expect(result.pages.map((page) => [page.page, page.width])).toEqual([
        [1, 1240],
        [2, 2481],
        [3, 1240],
      ]);
      const saved = fixtures.path("searchable-resolutions.pdf");
      await writeFile(saved, pdf);
      await expectWordPlaced(saved, result.pages[0] as OcrPage, "marker", 150);
      await expectWordPlaced(saved, result.pages[1] as OcrPage, "quick", 300);
      await expectWordPlaced(saved, result.pages[2] as OcrPage, "last", 150);
    } finally {
      await oneSlot.close();
    }
  });

  it("ends the stream with the error when a batch fails, with no progress from other batches after it", async () => {
    // Pages 1–2 fail once pages 3–4 are being recognized; those report a page as their engine is killed
    // in the teardown, after the error.
    let siblingStarted = () => {};
    const started = new Promise<void>((resolve) => (siblingStarted = resolve));
    const failingFirst: OcrEngine = {
      ...tesseract,
      recognize: async (run, images, options) => {
        if (images.some((image) => image.page === 1)) {
          await started;
          throw mediaCorrupt("Page 1 could not be decoded (test)");
        }
        try {
          const sleeping = run("sleep", ["10"]);
          siblingStarted();
          await sleeping;
        } finally {
          options.onPage?.(0);
        }
        throw new Error("not reached: the sleep is killed");
      },
    };
    const failing = await startRunner({ ocr: failingFirst });
    try {
      const [one, two] = [files.one, files.two] as [string, string];
      const tiff = await fixtures.multiPageTiff("four-pages.tif", [one, two, one, two]);
      const reply = await postFile(`${failing.baseUrl}/v1/ocr?language=eng`, tiff, "image/tiff");
      expect(finalEvent(reply)).toMatchObject({ type: "error", code: "media_corrupt" });
      expect(reply.events.filter(({ event }) => event.type === "error")).toHaveLength(1);
    } finally {
      await failing.close();
    }
  });

  it.each([
    ["random bytes labeled as a PDF", "garbage.pdf", "application/pdf"],
    ["random bytes labeled as a TIFF", "garbage.tif", "image/tiff"],
  ])("answers %s with media_corrupt", async (_, name, contentType) => {
    const reply = await ocr(await fixtures.garbage(name, 20_000), contentType);
    const last = finalEvent(reply);
    expect(last).toMatchObject({ type: "error", code: "media_corrupt", retryable: false });
    // Plain words a person can act on, never the decoder's own output (which goes to the logs).
    const message = (last as { message: string }).message;
    expect(message).toMatch(/could not be read: it is damaged or not a valid file of its type\.$/);
    expect(message.length).toBeLessThanOrEqual(300);
    expect(message).not.toMatch(/[Ss]yntax|[Ee]rror:|xref|IFD|TIFFRead/);
    expect(reply.events).toHaveLength(1);
  });

  it("answers a truncated PNG with media_corrupt", async () => {
    const truncated = fixtures.path("truncated.png");
    await writeFile(truncated, (await readFile(files.one as string)).subarray(0, 3000));
    expect(finalEvent(await ocr(truncated, "image/png"))).toMatchObject({ type: "error", code: "media_corrupt" });
  });

  it("never lets tesseract read a non-image upload as a list of server files to OCR", async () => {
    // Tesseract treats an input it cannot decode as a list of image paths.
    const list = fixtures.path("list.png");
    await writeFile(list, `${files.one}\n`);
    recognizedImages.length = 0;
    const last = finalEvent(await ocr(list, "image/png"));
    expect(last).toMatchObject({ type: "error", code: "media_corrupt" });
    expect(JSON.stringify(last)).not.toContain("quick");
    expect(recognizedImages).toEqual([]);
  });

  it("refuses an unknown language before reading the file", async () => {
    const reply = await ocr(files.one as string, "image/png", "klingon");
    expect(reply.status).toBe(422);
    expect(reply.contentType).toBe("application/problem+json");
    expect(JSON.parse(reply.body)).toMatchObject({ code: "validation_failed", status: 422 });
  });

  it("accepts combined languages when all are installed", async () => {
    const { result } = resultOf(await ocr(files.one as string, "image/png", "eng+eng"));
    expect(result.language).toBe("eng+eng");
    expect((await ocr(files.one as string, "image/png", "eng+xyz")).status).toBe(422);
  });

  it("reads an unencoded + in the query (which URL decoding turns into a space) as a language separator", async () => {
    const reply = await postFile(`${runner.baseUrl}/v1/ocr?language=eng+eng`, files.one as string, "image/png");
    expect(resultOf(reply).result.language).toBe("eng+eng");
  });

  it("refuses media types it cannot OCR", async () => {
    const reply = await ocr(files.one as string, "text/plain");
    expect(reply.status).toBe(415);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "unsupported_media_type" });
  });
});

describe("renderDpi", () => {
  it("keeps 300 dpi for ordinary pages, lowers it for huge sheets, refuses what no resolution fits", () => {
    const a4 = { width: 595, height: 842 };
    expect(renderDpi(a4, 150_000_000, 1)).toBe(300);
    expect(renderDpi({ width: 72 * 30, height: 72 * 30 }, 20_000_000, 1)).toBe(149);
    expect(() => renderDpi({ width: 72 * 1000, height: 72 * 1000 }, 20_000_000, 3)).toThrow(/Page 3 is 1000×1000 in/);
  });
});
