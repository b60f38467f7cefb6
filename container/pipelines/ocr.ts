import { mkdir, readFile, rm } from "node:fs/promises";
import { imageSizeFromFile } from "image-size/fromFile";
import type { OcrPage, OcrResult } from "../../contracts/results";
import { ffmpeg } from "../engines/ffmpeg";
import type { PageLayout } from "../engines/layout";
import { libtiff } from "../engines/libtiff";
import type { OcrEngine } from "../engines/ocr-engine";
import { poppler } from "../engines/poppler";
import { qpdf } from "../engines/qpdf";
import { mapConcurrent } from "../map-concurrent";
import { decoding, JobFailure, mediaCorrupt, mediaNoContent } from "./failures";
import { hasImageSignature } from "./image-signature";
import type { Job } from "./job";
import { type ImageType, type OcrMediaType, PDF } from "./media-types";

/** Resolution PDF pages are rendered at: tesseract's sweet spot for body text. */
const RENDER_DPI = 300;
/** Oversized PDF pages are rendered at a lower resolution to stay within the pixel limit, but not below this. */
const MIN_RENDER_DPI = 72;

/** The OCR engine, and the most pixels one page may have (a guard against decompression bombs and huge sheets). */
export interface OcrDeps {
  ocr: OcrEngine;
  maxPagePixels: number;
}
/** A page with fewer non-space characters in its text layer is treated as a scan (stray page numbers, etc.). */
const MIN_TEXT_LAYER_CHARS = 10;

export interface OcrOutput {
  result: OcrResult;
  /** All pages as one searchable PDF. */
  pdf: Buffer;
}

interface PageOutput {
  page: OcrPage;
  /**
   * An image's page: the one-page PDF of it with its text, merged into the searchable PDF. A PDF's
   * page: the text-only page laid over the original one (none for a page with its own text layer).
   */
  pdfPath: string | null;
}

type PageTask = (pageNumber: number) => Promise<PageOutput>;

/** Pages `first`..`last` (1-based, inclusive) of a document. */
export interface PageRange {
  first: number;
  last: number;
}

/**
 * Turns a PDF or image into text with word boxes plus a searchable PDF: all its pages, or `range` of them
 * (a fanned-out job's part; pages keep their numbers in the document). Pages are independent, so they are
 * worked on in parallel; the `probe` event gives the page count and a `progress` event follows each page.
 */
export async function recognizeDocument(
  job: Job,
  mediaType: OcrMediaType,
  deps: OcrDeps,
  range?: PageRange,
): Promise<OcrOutput> {
  const { ocr } = deps;
  const { pageCount, recognizePage } = await planDocument(job, mediaType, deps);
  job.emit({ type: "probe", pages: pageCount, duration_s: null });
  const { first, last } = range ?? { first: 1, last: pageCount };
  if (first > last || last > pageCount) {
    throw new JobFailure("validation_failed", `Pages ${first}–${last} are not within the ${pageCount} pages`, false);
  }

  const pageNumbers = Array.from({ length: last - first + 1 }, (_, index) => first + index);
  const total = pageNumbers.length;
  let done = 0;
  job.emit({ type: "progress", done, total, unit: "pages", stage: "ocr" });
  const pages = await mapConcurrent(pageNumbers, job.parallelism, async (pageNumber) => {
    const output = await recognizePage(pageNumber);
    job.emit({ type: "progress", done: ++done, total, unit: "pages", stage: "ocr" });
    return output;
  });

  const merged =
    mediaType === PDF
      ? await searchablePdf(job, { first, last }, pages)
      : await poppler.merge(
          job.run,
          pages.map((page) => page.pdfPath as string),
          job.path("searchable.pdf"),
        );
  return {
    result: { kind: "ocr", engine: ocr.name, language: job.language, pages: pages.map((output) => output.page) },
    pdf: await readFile(merged),
  };
}

/**
 * The searchable PDF of a PDF's pages `range`: the original pages, unchanged, with the recognized
 * text of each OCRed page laid over it as an invisible layer (pages with a text layer need none).
 */
async function searchablePdf(job: Job, range: PageRange, pages: PageOutput[]): Promise<string> {
  const overlays = pages.flatMap(({ page, pdfPath }) =>
    pdfPath ? [{ at: page.page - range.first + 1, pdfPath }] : [],
  );
  const overlayPath = job.path("text-layer.pdf");
  if (overlays.length > 0)
    await poppler.merge(
      job.run,
      overlays.map((o) => o.pdfPath),
      overlayPath,
    );
  const overlay = overlays.length > 0 ? { path: overlayPath, onto: overlays.map((o) => o.at) } : null;
  return qpdf.pagesWithOverlay(job.run, job.inputPath, range, overlay, job.path("searchable.pdf"));
}

/** The document's page count, and how to recognize one of its pages. */
export async function planDocument(
  job: Job,
  mediaType: OcrMediaType,
  deps: OcrDeps,
): Promise<{ pageCount: number; recognizePage: PageTask }> {
  const plan = mediaType === PDF ? await planPdf(job, deps) : await planImage(job, mediaType, deps);
  if (plan.pageCount === 0) throw mediaNoContent("The file has no pages");
  return plan;
}

async function planPdf(
  job: Job,
  { ocr, maxPagePixels }: OcrDeps,
): Promise<{ pageCount: number; recognizePage: PageTask }> {
  const { run, inputPath } = job;
  const pageCount = await decoding("The PDF could not be read", poppler.pageCount(run, inputPath));
  // Scanned pages are recognized from their own image, decoded as stored: no rendering, and the
  // engine reads the scan itself (measured faster than reading a render of it).
  const scans = await decoding("The PDF could not be read", poppler.scanImages(run, inputPath, pageCount));

  const recognizePage: PageTask = async (pageNumber) => {
    const textLayer = await decoding("The PDF page could not be read", poppler.textLayout(run, inputPath, pageNumber));
    if (hasRealText(textLayer)) {
      return { page: { page: pageNumber, unit: "pt", source: "text-layer", ...textLayer }, pdfPath: null };
    }
    const scan = scans.get(pageNumber);
    const extract = scan && scan.width * scan.height <= maxPagePixels;
    const dpi = extract ? scan.dpi : renderDpi(textLayer, maxPagePixels, pageNumber);
    const render = await decoding(
      "The PDF page could not be rendered",
      extract
        ? poppler.extractImage(run, inputPath, pageNumber, job.path(`page-${pageNumber}`))
        : poppler.renderGray(run, inputPath, pageNumber, dpi, job.path(`page-${pageNumber}`)),
    );
    // The page image is our own rendering, so a tesseract failure here is the engine's, not the file's.
    const { layout, pdfPath } = await ocr.recognize(run, render, {
      page: pageNumber,
      language: job.language,
      outputBase: job.path(`ocr-${pageNumber}`),
      dpi,
      textOnly: true,
    });
    await rm(render); // 300 dpi renders add up over long documents.
    return { page: { page: pageNumber, unit: "px", source: "ocr", ...layout }, pdfPath };
  };
  return { pageCount, recognizePage };
}

async function planImage(
  job: Job,
  mediaType: ImageType,
  { ocr, maxPagePixels }: OcrDeps,
): Promise<{ pageCount: number; recognizePage: PageTask }> {
  if (!(await hasImageSignature(job.inputPath, mediaType))) {
    throw mediaCorrupt(`The file is not a valid ${mediaType} image`);
  }
  const imagePaths = mediaType === "image/tiff" ? await splitTiff(job) : [job.inputPath];

  const recognizePage: PageTask = async (pageNumber) => {
    const imagePath = await readableByOcr(job, mediaType, imagePaths[pageNumber - 1] as string, pageNumber);
    const { width = 0, height = 0 } = await imageSizeFromFile(imagePath).catch(() => ({ width: 0, height: 0 }));
    if (width * height > maxPagePixels) {
      throw new JobFailure(
        "limit_exceeded",
        `Page ${pageNumber} is ${width}×${height} pixels (${megapixels(width * height)} MP); at most ${megapixels(maxPagePixels)} MP`,
        false,
      );
    }
    const { layout, pdfPath } = await decoding(
      "The image could not be read",
      ocr.recognize(job.run, imagePath, {
        page: pageNumber,
        language: job.language,
        outputBase: job.path(`ocr-${pageNumber}`),
      }),
    );
    // Tesseract reports an image it could not decode as an empty 0×0 page rather than failing.
    if (layout.width === 0 || layout.height === 0) throw mediaCorrupt(`Page ${pageNumber} could not be decoded`);
    return { page: { page: pageNumber, unit: "px", source: "ocr", ...layout }, pdfPath };
  };
  return { pageCount: imagePaths.length, recognizePage };
}

/**
 * The OCR engine's image library reads TIFF pages of at most 8 bits per sample; deeper ones (16-bit scans)
 * are converted to 8-bit PNG first.
 */
async function readableByOcr(job: Job, mediaType: ImageType, imagePath: string, pageNumber: number): Promise<string> {
  if (mediaType !== "image/tiff") return imagePath;
  const bits = await decoding("The TIFF page could not be read", libtiff.bitsPerSample(job.run, imagePath));
  if (bits <= 8) return imagePath;
  const png = job.path(`tiff-page-${pageNumber}.png`);
  await decoding("The TIFF page could not be converted", ffmpeg.toEightBitPng(job.run, imagePath, png));
  return png;
}

/** One file per TIFF page, so pages can be recognized in parallel. */
async function splitTiff(job: Job): Promise<string[]> {
  const pagesDir = job.path("tiff-pages");
  await mkdir(pagesDir);
  return decoding("The TIFF could not be read", libtiff.splitPages(job.run, job.inputPath, pagesDir));
}

function hasRealText(layout: PageLayout): boolean {
  return layout.text.replace(/\s/g, "").length >= MIN_TEXT_LAYER_CHARS;
}

const megapixels = (pixels: number) => Math.round(pixels / 100_000) / 10;

/**
 * The resolution a PDF page (`size` in points) is rendered at: RENDER_DPI, or lower for a sheet so
 * large that it would pass `maxPixels`; a page too large even at MIN_RENDER_DPI is refused.
 */
export function renderDpi(size: { width: number; height: number }, maxPixels: number, pageNumber: number): number {
  const pixelsAt = (dpi: number) => (((size.width / 72) * dpi * size.height) / 72) * dpi;
  if (pixelsAt(RENDER_DPI) <= maxPixels) return RENDER_DPI;
  const dpi = Math.floor(RENDER_DPI * Math.sqrt(maxPixels / pixelsAt(RENDER_DPI)));
  if (dpi < MIN_RENDER_DPI) {
    const inches = `${Math.round(size.width / 72)}×${Math.round(size.height / 72)} in`;
    throw new JobFailure(
      "limit_exceeded",
      `Page ${pageNumber} is ${inches}: too large to render within ${megapixels(maxPixels)} MP`,
      false,
    );
  }
  return dpi;
}
