import { execFile } from "node:child_process";
import { appendFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs, promisify } from "node:util";
import { createVerbatimClient } from "../../client";
import { MediaFixtures } from "../../test/support/media-fixtures";
import { characterErrorRate, wordErrorRate } from "../../test/support/text-metrics";
import { benchWorkDir, createBenchKey, startBenchStack, submitAndFetch } from "./bench-stack";
import { barChart } from "./chart";
import { printTable } from "./report";

/**
 * `npm run bench:ocr [-- --pages 20 --runs 3]`: a generated scanned PDF (A4 pages at 300 dpi, about
 * 25 lines of 10 pt text each) through the whole platform (upload → succeeded → txt, json and pdf
 * fetched), against, in the same run and on the same machine:
 *   (a) the raw engine limit: single-threaded `tesseract` on the same page images, one per core;
 *   (a′) the same, but one tesseract run per core over a list of its share of the pages (the model loaded
 *        once per run, as the platform's runner does a few pages at a time): shown for reference;
 *   (b) OCRmyPDF (Debian's) with `--rotate-pages --deskew --jobs` = cores on the same PDF, as Verbatim
 *       turns and straightens pages by default.
 * And the same document with a text layer (no OCR needed), and a document of pages scanned askew and
 * turned (3°, −7°, 180°, 90°, 270°, 5°), read by Verbatim and by (b), with each one's word error rate,
 * and (a) on the same pages before they were turned (the engine's floor for that document); and
 * pages photographed with a phone, lit unevenly (a shadow, light falling off), read by Verbatim and (b).
 * Prints the median of `runs` runs and the ratios; goals: platform ≤ 1.25× (a) and ≤ 0.5× (b) at equal
 * or better word error rate. Needs `ocrmypdf` (scripts/setup-system.sh --bench).
 * `--log FILE` keeps the stack's log lines (each stage with its duration) to see where the time goes.
 */
const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    pages: { type: "string", default: "20" },
    runs: { type: "string", default: "3" },
    // The stack's log lines (JSON, with each stage's duration_ms), to see where the time goes.
    log: { type: "string" },
  },
});
const PAGES = Number(values.pages);
const RUNS = Number(values.runs);
const CORES = availableParallelism();

const WORDS =
  "the invoice lists every item delivered in march together with its price quantity and the total amount due before the end of the month".split(
    " ",
  );
/** Page `p`'s lines: ordinary words in a varying order, so pages differ. */
const linesOf = (p: number) =>
  Array.from({ length: 25 }, (_, l) =>
    Array.from({ length: 9 }, (_, w) => WORDS[(p * 31 + l * 7 + w * 5) % WORDS.length]).join(" "),
  );

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const time = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};

const work = benchWorkDir("ocr");
const fixtures = new MediaFixtures(work);
let stack: Awaited<ReturnType<typeof startBenchStack>> | null = null;
try {
  console.log(`bench: making a ${PAGES}-page scan at 300 dpi`);
  const images: string[] = [];
  for (let p = 0; p < PAGES; p++) {
    const out = fixtures.path(`page-${p}.png`);
    const annotations = linesOf(p).flatMap((line, l) => ["-annotate", `+200+${250 + l * 120}`, line]);
    await run("convert", [
      ...["-size", "2480x3508", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "42", "-fill", "black"],
      ...annotations,
      ...["-units", "PixelsPerInch", "-density", "300", out],
    ]);
    images.push(out);
  }
  const scan = await fixtures.scannedPdf("scan.pdf", images);
  // Pages as people feed them: askew and turned (degrees clockwise on the glass).
  const TURNS = [3, -7, 180, 90, 270, 5];
  const turnedImages: string[] = [];
  for (const [i, degrees] of TURNS.entries()) {
    const out = fixtures.path(`turned-${i}.png`);
    await run("convert", [
      images[i % images.length] as string,
      ...["-background", "white", "-rotate", String(degrees), "+repage", "-alpha", "off", "-depth", "8"],
      ...["-units", "PixelsPerInch", "-density", "300", out],
    ]);
    turnedImages.push(out);
  }
  const turnedScan = await fixtures.scannedPdf("turned.pdf", turnedImages);
  // Pages photographed with a phone, lit unevenly (JPEGs at 150 dpi, embedded in the PDF as they are).
  const PHOTOS = [
    ["edge", 0],
    ["corner", 0],
    ["shadow", 0],
    ["edge", 3],
  ] as const;
  const photoImages = await Promise.all(
    PHOTOS.map(([light, degrees], i) => fixtures.photographedPage(`photo-${i}.jpg`, linesOf(i), light, degrees)),
  );
  const photoScan = await fixtures.scannedPdf("photos.pdf", photoImages);
  const photoReference = PHOTOS.map((_, i) => linesOf(i).join("\n")).join("\n");
  const turnedReference = TURNS.map((_, i) => linesOf(i % PAGES).join("\n")).join("\n");
  const textLayer = await fixtures.textPdf(
    "typed.pdf",
    Array.from({ length: PAGES }, (_, p) => linesOf(p)),
  );
  const reference = Array.from({ length: PAGES }, (_, p) => linesOf(p).join("\n")).join("\n");

  // (a) the raw engine: one single-threaded tesseract per core over the page images.
  const rawText: string[] = [];
  /** (a) the raw engine on `pages`, one single-threaded tesseract per page, as many at once as cores; the text in `texts`. */
  const raw =
    (pages: readonly string[], texts: string[] = []) =>
    async () => {
      const queue = pages.map((image, index) => ({ image, index }));
      await Promise.all(
        Array.from({ length: CORES }, async () => {
          for (let next = queue.shift(); next; next = queue.shift()) {
            const { stdout } = await run("tesseract", [next.image, "-", "-l", "eng"], {
              env: { ...process.env, OMP_THREAD_LIMIT: "1" },
              maxBuffer: 16 * 1024 * 1024,
            });
            texts[next.index] = stdout;
          }
        }),
      );
    };
  // (a′) the raw engine over page lists: one tesseract per core, each on a list of consecutive pages.
  const rawLists = async () => {
    const perCore = Math.ceil(images.length / CORES);
    await Promise.all(
      Array.from({ length: CORES }, async (_, core) => {
        const share = images.slice(core * perCore, (core + 1) * perCore);
        if (share.length === 0) return;
        const list = fixtures.path(`list-${core}.txt`);
        writeFileSync(list, share.map((image) => `${image}\n`).join(""));
        await run("tesseract", [list, "-", "-l", "eng"], {
          env: { ...process.env, OMP_THREAD_LIMIT: "1" },
          maxBuffer: 16 * 1024 * 1024,
        });
      }),
    );
  };
  // (b) OCRmyPDF on the same PDF, turning and straightening pages as Verbatim does; its text from --sidecar.
  let ocrmypdfText = "";
  const ocrmypdf = (pdf: string) => async () => {
    const sidecar = fixtures.path("ocrmypdf.txt");
    await run("ocrmypdf", [
      ...["--rotate-pages", "--deskew", "--jobs", String(CORES), "--quiet", "--sidecar", sidecar],
      ...[pdf, fixtures.path("ocrmypdf.pdf")],
    ]);
    ocrmypdfText = readFileSync(sidecar, "utf8");
  };

  console.log("bench: starting the stack");
  const key = createBenchKey();
  const logFile = values.log;
  stack = await startBenchStack(
    28887,
    logFile ? (line) => appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`) : undefined,
  );
  const client = createVerbatimClient({ baseUrl: stack.url, token: key });
  let platformText = "";
  /** Upload, follow to the end over the socket, fetch every output. */
  const platform = (file: string, name: string) => async () => {
    platformText = await submitAndFetch(client, file, name, ["txt", "json", "pdf"]);
  };

  const results: Record<string, number[]> = {
    raw: [],
    rawLists: [],
    ocrmypdf: [],
    platform: [],
    textLayer: [],
    turnedPlatform: [],
    turnedOcrmypdf: [],
    turnedRaw: [],
    photoPlatform: [],
    photoOcrmypdf: [],
  };
  let uprightText = "";
  const turnedErrors = { platform: 0, ocrmypdf: 0 };
  const photoErrors = { platform: 0, ocrmypdf: 0 };
  for (let r = 0; r < RUNS; r++) {
    console.log(`bench: run ${r + 1} of ${RUNS}`);
    results.raw?.push(await time(raw(images, rawText)));
    results.rawLists?.push(await time(rawLists));
    results.ocrmypdf?.push(await time(ocrmypdf(scan)));
    results.platform?.push(await time(platform(scan, `scan-${r}.pdf`)));
    uprightText = platformText;
    results.textLayer?.push(await time(platform(textLayer, `typed-${r}.pdf`)));
    results.turnedPlatform?.push(await time(platform(turnedScan, `turned-${r}.pdf`)));
    turnedErrors.platform = wordErrorRate(turnedReference, platformText);
    results.turnedOcrmypdf?.push(await time(ocrmypdf(turnedScan)));
    // The raw engine's floor for that document: the same pages as they were before being turned.
    results.turnedRaw?.push(await time(raw(TURNS.map((_, i) => images[i % images.length] as string))));
    turnedErrors.ocrmypdf = wordErrorRate(turnedReference, ocrmypdfText);
    results.photoPlatform?.push(await time(platform(photoScan, `photos-${r}.pdf`)));
    photoErrors.platform = wordErrorRate(photoReference, platformText);
    results.photoOcrmypdf?.push(await time(ocrmypdf(photoScan)));
    photoErrors.ocrmypdf = wordErrorRate(photoReference, ocrmypdfText);
  }
  const [a, a2, b, p, t] = [results.raw, results.rawLists, results.ocrmypdf, results.platform, results.textLayer].map(
    (xs) => median(xs ?? []),
  );
  const row = (name: string, s: number) => ({
    "": name,
    "seconds (median)": s.toFixed(1),
    "s / page": (s / PAGES).toFixed(2),
    "× (a) raw tesseract": (s / (a ?? 1)).toFixed(2),
    "× (b) OCRmyPDF": (s / (b ?? 1)).toFixed(2),
  });
  printTable(`OCR of a ${PAGES}-page 300 dpi scan, ${CORES} cores, median of ${RUNS} runs`, [
    row("(a) tesseract, 1 thread × cores, text only", a ?? 0),
    row("(a′) the same, one run per core over a page list", a2 ?? 0),
    row("(b) OCRmyPDF --rotate-pages --deskew --jobs cores", b ?? 0),
    row("Verbatim (upload → txt + json + pdf)", p ?? 0),
    row("Verbatim, same pages with a text layer", t ?? 0),
  ]);
  console.log(
    `\ncharacter error rate: Verbatim ${characterErrorRate(reference, uprightText).toFixed(3)}, raw tesseract ${characterErrorRate(reference, rawText.join("\n")).toFixed(3)}`,
  );
  console.log(
    `goals: Verbatim ≤ 1.25× (a): ${((p ?? 0) / (a ?? 1)).toFixed(2)}× (× (a′): ${((p ?? 0) / (a2 ?? 1)).toFixed(2)}); ≤ 0.5× (b): ${((p ?? 0) / (b ?? 1)).toFixed(2)}×; text layer / OCR: ${((t ?? 0) / (p ?? 1)).toFixed(2)}`,
  );
  const [tp, tb, ta] = [results.turnedPlatform, results.turnedOcrmypdf, results.turnedRaw].map((xs) =>
    median(xs ?? []),
  );
  printTable(`${TURNS.length} pages scanned askew and turned (${TURNS.join("°, ")}°), median of ${RUNS} runs`, [
    {
      "": "(b) OCRmyPDF --rotate-pages --deskew",
      seconds: (tb ?? 0).toFixed(1),
      "word error rate": turnedErrors.ocrmypdf.toFixed(3),
    },
    { "": "Verbatim", seconds: (tp ?? 0).toFixed(1), "word error rate": turnedErrors.platform.toFixed(3) },
    {
      "": "(a) tesseract on the same pages upright, 1 thread × cores",
      seconds: (ta ?? 0).toFixed(1),
      "word error rate": "–",
    },
  ]);
  console.log(
    `goal: Verbatim ≤ 0.5× (b) at equal or better word error rate: ${((tp ?? 0) / (tb ?? 1)).toFixed(2)}×; the raw engine alone on the upright pages: ${((ta ?? 0) / (tb ?? 1)).toFixed(2)}× (b)`,
  );
  const [pp, pb] = [results.photoPlatform, results.photoOcrmypdf].map((xs) => median(xs ?? []));
  printTable(
    `${PHOTOS.length} pages photographed, lit unevenly (${PHOTOS.map(([light, degrees]) => `${light} ${degrees}°`).join(", ")}), median of ${RUNS} runs`,
    [
      {
        "": "(b) OCRmyPDF --rotate-pages --deskew",
        seconds: (pb ?? 0).toFixed(1),
        "word error rate": photoErrors.ocrmypdf.toFixed(3),
      },
      { "": "Verbatim", seconds: (pp ?? 0).toFixed(1), "word error rate": photoErrors.platform.toFixed(3) },
    ],
  );
  mkdirSync("docs/performance", { recursive: true });
  writeFileSync(
    "docs/performance/ocr.svg",
    barChart({
      title: `Seconds per page, ${PAGES}-page 300 dpi scan, ${CORES} cores (npm run bench:ocr)`,
      unit: "s / page",
      bars: [
        { label: "(a) tesseract, 1 thread × cores", value: (a ?? 0) / PAGES },
        { label: "(a′) the same over page lists", value: (a2 ?? 0) / PAGES },
        { label: "(b) OCRmyPDF --rotate-pages --deskew", value: (b ?? 0) / PAGES },
        { label: "Verbatim, upload → txt + json + pdf", value: (p ?? 0) / PAGES },
        { label: "Verbatim, pages with a text layer", value: (t ?? 0) / PAGES },
      ],
    }),
  );
  console.log("wrote docs/performance/ocr.svg");
} finally {
  stack?.stop();
  rmSync(work, { recursive: true, force: true });
}
