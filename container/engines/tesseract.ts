import { readFile, writeFile } from "node:fs/promises";
import { ExecError } from "../exec";
import type { OcrEngine } from "./ocr-engine";
import { parseTesseractTsv } from "./tesseract-tsv";

/** Tessdata entries that are not text languages (`osd` only detects orientation and script). */
const NOT_TEXT_LANGUAGES = new Set(["osd"]);

/** What tesseract writes to stderr as it starts on each image of a list: `Page <n> : <path>`. */
const PAGE_STARTED = /^Page \d+ : (.*)$/;

export const tesseract: OcrEngine = {
  name: "tesseract",

  async version(run) {
    const { stdout, stderr } = await run("tesseract", ["--version"]);
    // Older builds print the banner on stderr.
    const banner = `${stdout.toString()}\n${stderr}`;
    return /tesseract\s+v?(\S+)/i.exec(banner)?.[1] ?? "unknown";
  },

  async languages(run) {
    const { stdout } = await run("tesseract", ["--list-langs"]);
    return stdout
      .toString()
      .split("\n")
      .slice(1) // "List of available languages in ...:"
      .map((line) => line.trim())
      .filter((language) => language !== "" && !NOT_TEXT_LANGUAGES.has(language));
  },

  async orientation(run, imagePath) {
    // Orientation and script detection only (--psm 0, the `osd` data): "Rotate: 180", "Orientation
    // confidence: 12.9", "Script: Latin". Too little text ("Too few characters") makes it fail: nothing to say.
    const detected = await run("tesseract", [imagePath, "-", "--psm", "0", "-l", "osd"], {
      env: { OMP_THREAD_LIMIT: "1" },
    }).catch((error: unknown) => {
      if (error instanceof ExecError && error.failure === "exit") return null;
      throw error;
    });
    const out = detected?.stdout.toString() ?? "";
    const rotate = /^Rotate: (\d+)/m.exec(out)?.[1];
    const confidence = /^Orientation confidence: ([\d.]+)/m.exec(out)?.[1];
    if (rotate === undefined || confidence === undefined) return null;
    const script = /^Script: (\S+)/m.exec(out)?.[1] ?? null;
    return { quarterTurns: (Number(rotate) / 90) % 4, confidence: Number(confidence), script };
  },

  /**
   * One tesseract run over a list of the images: the model is loaded once for all of them (about 0.15 s
   * per run on these machines). A list also means tesseract never reads an input as a list of its own.
   */
  async recognize(run, images, { language, outputBase, dpi, textOnly, onPage }) {
    const listPath = `${outputBase}.list`;
    await writeFile(listPath, images.map((image) => `${image.path}\n`).join(""));
    let reported = 0;
    const reportUpTo = (count: number) => {
      while (reported < count) onPage?.(reported++);
    };
    const dpiArgs = dpi === undefined ? [] : ["--dpi", String(dpi)];
    const textOnlyArgs = textOnly ? ["-c", "textonly_pdf=1"] : [];
    await run("tesseract", [listPath, outputBase, "-l", language, ...dpiArgs, ...textOnlyArgs, "tsv", "pdf"], {
      // Parallelism comes from running one tesseract per core; OpenMP threads inside each would fight over
      // the same cores (about 6x slower overall when they do).
      env: { OMP_THREAD_LIMIT: "1" },
      units: images.length,
      // Starting on an image means the ones before it are done (and restarts the per-page time limit).
      onStderrLine: (line) => {
        const started = PAGE_STARTED.exec(line)?.[1];
        const index = images.findIndex((image) => image.path === started);
        reportUpTo(index);
        return index >= 0;
      },
    });
    reportUpTo(images.length);
    const layouts = parseTesseractTsv(await readFile(`${outputBase}.tsv`, "utf8"));
    if (layouts.length !== images.length) {
      throw new Error(`tesseract returned ${layouts.length} pages for ${images.length} images`);
    }
    return { layouts, pdfPath: `${outputBase}.pdf` };
  },
};
