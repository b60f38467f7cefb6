import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { imageSizeFromFile } from "image-size/fromFile";
import { AUTO_LANGUAGE } from "../../contracts/languages";
import { describeSelection, lastSelectedPage, type PageRun, pagesOf, runsWithin } from "../../contracts/page-selection";
import { meanWordConfidence, type OcrPage, type OcrResult, ocrWarnings } from "../../contracts/results";
import { ffmpeg } from "../engines/ffmpeg";
import { declaredDpi } from "../engines/image-resolution";
import { identifyLanguage, languagesInScript, spansScripts } from "../engines/language-id";
import type { PageLayout } from "../engines/layout";
import { libtiff } from "../engines/libtiff";
import { flattenLight, paperEvenness } from "../engines/lighting";
import type { OcrEngine } from "../engines/ocr-engine";
import { onlyImagePlacement } from "../engines/pdf-content";
import { type GrayPicture, type PngShape, pngDataThumbnail, pngFileOf, pngShapeOf } from "../engines/pdf-image-stream";
import { poppler, type ScanImage } from "../engines/poppler";
import { type PdfPage, type PdfReference, qpdf } from "../engines/qpdf";
import { ExecError } from "../exec";
import { mapConcurrent } from "../map-concurrent";
import { damagedFile, decoding, JobFailure, mediaNoContent } from "./failures";
import { hasImageSignature } from "./image-signature";
import type { Job } from "./job";
import { type ImageType, type OcrMediaType, PDF } from "./media-types";
import { pageBatches } from "./page-batches";
import {
  detectOrientation,
  isTurned,
  NO_TURN,
  plannedTurn,
  readingConfidence,
  rereadTurn,
  THUMBNAIL_WIDTH,
  type Turn,
  turnedImage,
  turnFields,
  type UprightOptions,
} from "./upright";

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

/** A page made ready: its own text layer is its result, or it has an image to recognize. */
type PreparedPage =
  | { page: number; textLayer: OcrPage }
  | {
      page: number;
      image: string;
      /**
       * The resolution the image is at: of our renders, which do not say it, and of an image, what its
       * file declares, which the copies made of it (turned, evened) no longer do.
       */
      dpi?: number;
      /** The image is ours (rendered or extracted) and is deleted once recognized. */
      temporary: boolean;
      /** A small grey copy of the image, when making the image gave one on the way (to measure its skew). */
      thumbnail?: GrayPicture;
      /** The image is known to be grey (a page rendered in grey, a grey scan), so a turned copy of it can be. */
      grey?: boolean;
    };

interface DocumentPlan {
  pageCount: number;
  prepare(pageNumber: number): Promise<PreparedPage>;
}

/**
 * Where a recognized page's searchable PDF page is: page `index` (1-based) of an engine run's PDF.
 * `replaces`: that page is the page (the engine's image with its text: an image's page, or a PDF
 * page that had to be turned to be read); otherwise it is a text-only layer over the original page.
 */
interface PageOutput {
  page: number;
  pdfPath: string;
  index: number;
  replaces: boolean;
}

/**
 * Turns a PDF or image into text with word boxes plus a searchable PDF: all its pages, or `range` of them
 * (a fanned-out job's part; pages keep their numbers in the document), and of those only the pages
 * `selection` names (`options.pages`), when given. Pages are independent, so batches of a few pages are
 * worked on in parallel, one engine run each; the `probe` event gives the number of pages to read and a
 * `progress` event follows each page. Pages are read upright (`upright`): turned and straightened when
 * they are not.
 */
export async function recognizeDocument(
  job: Job,
  mediaType: OcrMediaType,
  deps: OcrDeps,
  { range, selection, upright = { rotatePages: true, deskew: true }, installed = [] }: RecognizeOptions = {},
): Promise<OcrOutput> {
  const { ocr } = deps;
  const isPdf = mediaType === PDF;
  const plan = await planDocument(job, mediaType, deps);
  const wanted = checkedSelection(selection, plan.pageCount);
  job.emit({ type: "probe", pages: pagesOf(wanted).length, duration_s: null });
  const { first, last } = range ?? { first: 1, last: plan.pageCount };
  if (first > last || last > plan.pageCount) {
    throw new JobFailure(
      "validation_failed",
      `Pages ${first}–${last} are not within the ${plan.pageCount} pages`,
      false,
    );
  }
  const pageNumbers = pagesOf(runsWithin(wanted, { first, last }));

  const total = pageNumbers.length;
  let done = 0;
  const pageDone = () => job.emit({ type: "progress", done: ++done, total, unit: "pages", stage: "ocr" });
  job.emit({ type: "progress", done, total, unit: "pages", stage: "ocr" });

  const batchOptions = { isPdf, pageDone, upright };
  const detection =
    job.language === AUTO_LANGUAGE
      ? await detectLanguage(job, ocr, plan, pageNumbers, { ...batchOptions, installed })
      : { language: job.language, detected: null, read: [] };
  const readAlready = new Set(detection.read.flatMap((batch) => batch.pages.map((page) => page.page)));
  const rest = pageNumbers.filter((page) => !readAlready.has(page));
  const recognized = [
    ...detection.read,
    ...(await mapConcurrent(pageBatches(rest, job.parallelism), job.parallelism, (batch) =>
      recognizeBatch(job, ocr, plan, batch, { ...batchOptions, language: detection.language }),
    )),
  ];
  const outputs = recognized.flatMap((batch) => batch.outputs).sort((a, b) => a.page - b.page);
  const merged = isPdf
    ? await searchablePdf(job, pageNumbers, outputs)
    : await qpdf.assemble(
        job.run,
        outputs.map(({ pdfPath, index }) => ({ path: pdfPath, first: index, last: index })),
        job.path("searchable.pdf"),
      );
  const pages = recognized.flatMap((batch) => batch.pages).sort((a, b) => a.page - b.page);
  return {
    result: {
      kind: "ocr",
      engine: ocr.name,
      language: detection.language,
      ...(job.language === AUTO_LANGUAGE ? { detected_language: detection.detected } : {}),
      pages,
      warnings: ocrWarnings(pages),
    },
    pdf: await readFile(merged),
  };
}

/** How a batch of pages is read. */
interface BatchOptions {
  isPdf: boolean;
  pageDone: () => void;
  upright: UprightOptions;
  /** The engine's language spec for these pages. */
  language: string;
}
type BatchResult = Awaited<ReturnType<typeof recognizeBatch>>;

/** The most pages read to find a document's language, and the letters that are enough to tell. */
const MAX_DETECTION_PAGES = 3;
const DETECTION_LETTERS = 200;

/**
 * `language: "auto"`: the document's language, from a first reading of its first pages (up to
 * MAX_DETECTION_PAGES, until they hold DETECTION_LETTERS letters) in a provisional language: English,
 * or, where the deployment has languages of several scripts, one written in the script the engine sees
 * on the first page. The reading is identified among the installed languages of that script; when
 * it is the provisional one, the pages read are kept (`read`), else they are read again with the rest.
 * `detected` is null when the pages hold too little text to tell (the provisional language is used).
 */
async function detectLanguage(
  job: Job,
  ocr: OcrEngine,
  plan: DocumentPlan,
  pageNumbers: readonly number[],
  { installed, pageDone, ...options }: Omit<BatchOptions, "language"> & { installed: readonly string[] },
): Promise<{ language: string; detected: string | null; read: BatchResult[] }> {
  let candidates = installed;
  const [firstPage] = pageNumbers;
  if (spansScripts(installed) && firstPage !== undefined) {
    const prepared = await plan.prepare(firstPage);
    if ("image" in prepared) {
      const seen = await detectOrientation(job, ocr, prepared.image).catch(orElse(() => null));
      if (prepared.temporary) await rm(prepared.image, { force: true });
      if (seen?.script) candidates = languagesInScript(installed, seen.script);
    }
  }
  const provisional = candidates.includes("eng") ? "eng" : (candidates[0] ?? "eng");
  const read: BatchResult[] = [];
  let text = "";
  for (const page of pageNumbers.slice(0, MAX_DETECTION_PAGES)) {
    const batch = await recognizeBatch(job, ocr, plan, [page], {
      ...options,
      pageDone: () => {},
      language: provisional,
    });
    read.push(batch);
    text += batch.pages.map((p) => `${p.text}\n`).join("");
    if ((text.match(/\p{L}/gu)?.length ?? 0) >= DETECTION_LETTERS) break;
  }
  const detected = identifyLanguage(text, candidates);
  const language = detected ?? provisional;
  if (language !== provisional) return { language, detected, read: [] };
  for (const batch of read) for (const _ of batch.pages) pageDone();
  return { language, detected, read };
}

export interface RecognizeOptions {
  /** A fanned-out job's part: pages `first`..`last` of the document. */
  range?: PageRun;
  /** `options.pages`: only these pages of the document (all when absent). */
  selection?: readonly PageRun[];
  upright?: UprightOptions;
  /** The languages installed: those `language: "auto"` chooses among. */
  installed?: readonly string[];
}

/** The pages to read (all of the document's when no selection is given); a selection past its end fails the job. */
export function checkedSelection(selection: readonly PageRun[] | undefined, pageCount: number): readonly PageRun[] {
  if (!selection) return [{ first: 1, last: pageCount }];
  if (lastSelectedPage(selection) > pageCount) {
    throw new JobFailure(
      "pages_out_of_range",
      `Pages ${describeSelection(selection)} were asked for; the document has ${pageCount} page${pageCount === 1 ? "" : "s"}`,
      false,
    );
  }
  return selection;
}

/** A page image to read: as prepared, the turn that makes it upright, and the image the engine reads. */
type ImagePage = Extract<PreparedPage, { image: string }>;
type PageToRead = ImagePage & { turn: Turn; read: string };

/**
 * Pages whose darkest paper is darker than this share of their brightest (`paperEvenness`) are lit
 * unevenly (phone photos). Tesseract's one threshold for the whole page reads none of the words of a
 * page whose paper measures 0.71 (35 % darker at one edge), and all of them at 0.84; a flatbed scan
 * measures about 1.
 */
const MIN_EVEN_LIGHT = 0.85;

/**
 * The page with its thumbnail (to measure its turn), and, when it is lit unevenly, as if evenly lit:
 * a grey copy with its paper made white everywhere (`flattenLight`), which is what is read, measured
 * and, for an image, shown in the searchable PDF.
 */
async function evenlyLit(job: Job, page: ImagePage): Promise<ImagePage> {
  const thumbnail = page.thumbnail ?? (await ffmpeg.grayThumbnail(job.run, page.image, THUMBNAIL_WIDTH));
  if (paperEvenness(thumbnail) >= MIN_EVEN_LIGHT) return { ...page, thumbnail };
  const flat = flattenLight(await ffmpeg.grayPicture(job.run, page.image));
  const image = job.path(`${basename(page.image)}-even-${crypto.randomUUID()}.pgm`);
  await writeFile(image, Buffer.concat([Buffer.from(`P5\n${flat.width} ${flat.height}\n255\n`), flat.pixels]));
  if (page.temporary) await rm(page.image, { force: true });
  return { ...page, image, temporary: true, grey: true, thumbnail: flattenLight(thumbnail) };
}

/**
 * One batch of consecutive pages: each page made ready in turn (its text layer taken, or its image
 * extracted or rendered, and the turn that makes it upright measured), then the images recognized in
 * one engine run, or one per resolution when they differ (a document's scans usually share one).
 * A page whose reading looks like an upside-down page's is turned as orientation detection says and
 * read again; the better reading is kept.
 */
async function recognizeBatch(
  job: Job,
  ocr: OcrEngine,
  plan: DocumentPlan,
  pageNumbers: readonly number[],
  { isPdf, pageDone, upright, language }: BatchOptions,
): Promise<{ pages: OcrPage[]; outputs: PageOutput[] }> {
  const pages: OcrPage[] = [];
  const toRead: PageToRead[] = [];
  for (const pageNumber of pageNumbers) {
    const prepared = await plan.prepare(pageNumber);
    if ("textLayer" in prepared) {
      pages.push(prepared.textLayer);
      pageDone();
      continue;
    }
    // Measuring the page is an improvement, not a requirement: what it cannot read, the engine judges.
    const page = await evenlyLit(job, prepared).catch(orElse(() => prepared));
    const turn = page.thumbnail
      ? await plannedTurn(job, ocr, { image: page.image, thumbnail: page.thumbnail }, upright).catch(
          orElse(() => NO_TURN),
        )
      : NO_TURN;
    const read = isTurned(turn) ? await turnedImage(job, page, turn, `page-${pageNumber}`) : page.image;
    toRead.push({ ...page, turn, read });
  }
  const first = await readPages(job, ocr, toRead, { isPdf, pageDone, language });

  const again: PageToRead[] = [];
  for (const reading of first) {
    const turn = await rereadTurn(job, ocr, reading.image.image, reading.image.turn, reading.layout, upright).catch(
      orElse(() => null),
    );
    if (turn) {
      const read = await turnedImage(job, reading.image, turn, `page-${reading.image.page}-again`);
      again.push({ ...reading.image, turn, read });
    }
  }
  const second = await readPages(job, ocr, again, { isPdf, pageDone: () => {}, language });
  const chosen = first.map((reading) => {
    const other = second.find((r) => r.image.page === reading.image.page);
    return other && readingConfidence(other.layout) > readingConfidence(reading.layout) ? other : reading;
  });
  for (const { image, layout } of chosen) {
    pages.push({
      page: image.page,
      unit: "px",
      source: "ocr",
      ...turnFields(image.turn),
      confidence: meanWordConfidence(layout.blocks),
      ...layout,
    });
  }
  // Page images add up over long documents.
  const ours = [...toRead, ...again].flatMap((image) => [
    ...(image.temporary ? [image.image] : []),
    ...(image.read !== image.image ? [image.read] : []),
  ]);
  await Promise.all([...new Set(ours)].map((path) => rm(path, { force: true })));
  return { pages, outputs: chosen.map((reading) => reading.output) };
}

/**
 * Recognizes `images` in as few engine runs as their resolutions allow. A PDF's upright pages get
 * only their text, to lay over the original pages; a page that had to be turned, and an image's
 * page, is the engine's image with its text.
 */
async function readPages(
  job: Job,
  ocr: OcrEngine,
  images: readonly PageToRead[],
  { isPdf, pageDone, language }: Pick<BatchOptions, "isPdf" | "pageDone" | "language">,
): Promise<{ image: PageToRead; layout: PageLayout; output: PageOutput }[]> {
  const groups = new Map<string, PageToRead[]>();
  for (const image of images) {
    const key = `${image.dpi}|${isPdf && !isTurned(image.turn)}`;
    groups.set(key, [...(groups.get(key) ?? []), image]);
  }
  const readings: { image: PageToRead; layout: PageLayout; output: PageOutput }[] = [];
  for (const group of groups.values()) {
    const [head] = group as [PageToRead];
    const textOnly = isPdf && !isTurned(head.turn);
    const recognizing = ocr.recognize(
      job.run,
      group.map(({ read, page }) => ({ path: read, page })),
      {
        language,
        outputBase: job.path(`ocr-${crypto.randomUUID()}`),
        dpi: head.dpi,
        textOnly,
        onPage: pageDone,
      },
    );
    // A PDF's page images are ours (rendered, decoded by poppler, or checked intact), so a failure to
    // recognize them is the engine's, not the file's.
    const { layouts, pdfPath } = await (isPdf ? recognizing : decoding("The image could not be read", recognizing));
    layouts.forEach((layout, index) => {
      const image = group[index] as PageToRead;
      // Tesseract reports an image it could not decode as an empty 0×0 page rather than failing.
      if (!isPdf && (layout.width === 0 || layout.height === 0)) {
        throw damagedFile(`Page ${image.page} could not be read`);
      }
      readings.push({ image, layout, output: { page: image.page, pdfPath, index: index + 1, replaces: !textOnly } });
    });
  }
  return readings;
}

/**
 * The searchable PDF of a PDF's pages `pageNumbers` (in order): the original pages, unchanged, with the recognized
 * text of each OCRed page laid over it as an invisible layer (pages with a text layer need none); a
 * page that had to be turned to be read is replaced by its upright image with the text over it.
 */
async function searchablePdf(
  job: Job,
  pageNumbers: readonly number[],
  outputs: readonly PageOutput[],
): Promise<string> {
  const layers = outputs.filter((output) => !output.replaces);
  const overlay =
    layers.length === 0
      ? null
      : {
          path: await qpdf.assemble(
            job.run,
            layers.map(({ pdfPath, index }) => ({ path: pdfPath, first: index, last: index })),
            job.path("text-layer.pdf"),
          ),
          onto: layers.map(({ page }) => pageNumbers.indexOf(page) + 1),
        };
  const replaced = outputs.filter((output) => output.replaces);
  return qpdf.pagesWithOverlay(job.run, job.inputPath, pageNumbers, overlay, job.path("searchable.pdf"), replaced);
}

/** The document's page count, and how to get each page ready for recognition. */
export async function planDocument(job: Job, mediaType: OcrMediaType, deps: OcrDeps): Promise<DocumentPlan> {
  const plan = mediaType === PDF ? await planPdf(job, deps) : await planImage(job, mediaType, deps);
  if (plan.pageCount === 0) throw mediaNoContent("The file has no pages");
  return plan;
}

async function planPdf(job: Job, { maxPagePixels }: OcrDeps): Promise<DocumentPlan> {
  const { run, inputPath } = job;
  const pageCount = await decoding("The PDF could not be read", poppler.pageCount(run, inputPath));
  // Scanned pages are recognized from their own image as stored: no rendering, and the engine reads
  // the scan itself (measured faster than reading a render of it).
  const scans = await decoding("The PDF could not be read", poppler.scanImages(run, inputPath, pageCount));
  // Pages as qpdf numbers them, used only when it counts the same pages as poppler.
  const qpdfPages = scans.size > 0 ? await qpdf.pages(run, inputPath).catch(orElse(() => [])) : [];
  const pages = qpdfPages.length === pageCount ? qpdfPages : [];

  const prepare = async (pageNumber: number): Promise<PreparedPage> => {
    const textLayer = await decoding("The PDF page could not be read", poppler.textLayout(run, inputPath, pageNumber));
    if (hasRealText(textLayer)) {
      return {
        page: pageNumber,
        textLayer: {
          page: pageNumber,
          unit: "pt",
          source: "text-layer",
          ...turnFields(NO_TURN),
          confidence: meanWordConfidence(textLayer.blocks),
          ...textLayer,
        },
      };
    }
    const listed = scans.get(pageNumber);
    const scan =
      listed && listed.width * listed.height <= maxPagePixels
        ? await storedScan(job, listed, pages[pageNumber - 1]).catch(orElse(() => null))
        : null;
    const dpi = scan ? scan.dpi : renderDpi(textLayer, maxPagePixels, pageNumber);
    const image = await decoding(
      "The PDF page could not be rendered",
      scan
        ? scanImageFile(job, scan, pageNumber)
        : poppler.renderGray(run, inputPath, pageNumber, dpi, job.path(`page-${pageNumber}`)).then((path) => ({
            image: path,
            grey: true,
          })),
    );
    return { page: pageNumber, ...image, dpi, temporary: true };
  };
  return { pageCount, prepare };
}

/** Most bytes qpdf may write for a scan page's content: a scan's says `q 595 0 0 842 0 0 cm /Im0 Do Q`. */
const MAX_SCAN_CONTENT_JSON_BYTES = 64 * 1024;

/** Where a scanned page's image is read from: its own pixels, and whether they are stored as a PNG's data. */
type StoredScan = ScanImage & { png: PngShape | null };

/**
 * Whether `page` shows its one image (`scan`) exactly as the image's pixels are: its content draws
 * nothing but that image (the one poppler listed, not a form), upright from the page's corner, and no
 * annotation draws over it (a note, a stamp, a redaction box). Null when the page must be rendered.
 */
async function storedScan(job: Job, scan: ScanImage, page: PdfPage | undefined): Promise<StoredScan | null> {
  const { run, inputPath } = job;
  const image = page?.images.find(({ object }) => object.id === scan.objectId && object.generation === scan.generation);
  if (!page || !image || page.contents.length === 0) return null;
  const key = ({ id, generation }: PdfReference) => `${id} ${generation}`;
  const stored = await qpdf.objects(run, inputPath, [page.object, ...page.contents, image.object], "none");
  const pageDict = stored.get(key(page.object))?.value as Record<string, unknown> | undefined;
  const annotations = pageDict?.["/Annots"];
  if (!pageDict || (annotations !== undefined && !(Array.isArray(annotations) && annotations.length === 0)))
    return null;
  // A scan's content is a few dozen bytes; a large one (a map's, a drawing's) is not a scan's, and is not read whole.
  const decoded = await qpdf.objects(run, inputPath, page.contents, "decoded", MAX_SCAN_CONTENT_JSON_BYTES);
  const content = page.contents.map((stream) => decoded.get(key(stream))?.data?.toString("latin1") ?? "").join("\n");
  const placement = onlyImagePlacement(content);
  const atCorner =
    placement !== null &&
    placement.name === image.name &&
    Math.abs(placement.x - scan.origin.x) <= 1.5 &&
    Math.abs(placement.y - scan.origin.y) <= 1.5;
  if (!atCorner) return null;
  const imageDict = stored.get(key(image.object))?.dict;
  return { ...scan, png: imageDict ? pngShapeOf(imageDict, scan) : null };
}

/**
 * For a step that only picks a better way (reading a scan as stored, turning a page upright):
 * whatever goes wrong in it leaves the page to the plain way; only the job's teardown stops it.
 */
function orElse<T>(fallback: () => T): (error: unknown) => T {
  return (error) => {
    const aborted =
      (error instanceof ExecError && error.failure === "aborted") ||
      (error instanceof Error && error.name === "AbortError");
    if (aborted) throw error;
    return fallback();
  };
}

/**
 * A scan's image as a file the engine reads. Flate data with PNG predictors (what img2pdf and many PDF
 * writers store for lossless scans) already is a PNG's image data: checked intact and put in PNG's
 * chunks, it takes about 40 ms for a 300 dpi page against 110 ms for poppler to decode it, and the
 * check gives the thumbnail the skew is measured on. Anything else, or anything qpdf cannot read, is
 * decoded by poppler as stored, to an uncompressed TIFF.
 */
async function scanImageFile(
  job: Job,
  scan: StoredScan,
  pageNumber: number,
): Promise<{ image: string; thumbnail?: GrayPicture; grey?: boolean }> {
  const { run, inputPath } = job;
  const outputBase = job.path(`page-${pageNumber}`);
  const { png: shape } = scan;
  const png = shape
    ? await qpdf
        .rawStreamData(run, inputPath, { id: scan.objectId, generation: scan.generation })
        .then(async (data) => {
          const thumbnail = await pngDataThumbnail(data, shape, THUMBNAIL_WIDTH);
          return thumbnail ? { file: pngFileOf(data, shape), thumbnail } : null;
        })
        .catch(orElse(() => null))
    : null;
  if (!png) return { image: await poppler.extractImage(run, inputPath, pageNumber, outputBase) };
  await writeFile(`${outputBase}.png`, png.file);
  return { image: `${outputBase}.png`, thumbnail: png.thumbnail, grey: shape?.channels === 1 };
}

async function planImage(job: Job, mediaType: ImageType, { maxPagePixels }: OcrDeps): Promise<DocumentPlan> {
  if (!(await hasImageSignature(job.inputPath, mediaType))) {
    throw damagedFile(`The ${mediaType.replace("image/", "").toUpperCase()} image could not be read`);
  }
  const imagePaths = mediaType === "image/tiff" ? await splitTiff(job) : [job.inputPath];

  const prepare = async (pageNumber: number): Promise<PreparedPage> => {
    const original = imagePaths[pageNumber - 1] as string;
    const image = await readableByOcr(job, mediaType, original, pageNumber);
    const { width = 0, height = 0 } = await imageSizeFromFile(image).catch(() => ({ width: 0, height: 0 }));
    if (width * height > maxPagePixels) {
      throw new JobFailure(
        "limit_exceeded",
        `Page ${pageNumber} is ${width}×${height} pixels (${megapixels(width * height)} MP); at most ${megapixels(maxPagePixels)} MP`,
        false,
      );
    }
    // What the file declares, for the copies made of it (turned, evened), which lose it.
    const dpi = await declaredDpi(job.run, original, mediaType).catch(orElse(() => undefined));
    return { page: pageNumber, image, temporary: false, ...(dpi === undefined ? {} : { dpi }) };
  };
  return { pageCount: imagePaths.length, prepare };
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
