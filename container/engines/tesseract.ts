import { readFile } from "node:fs/promises";
import type { OcrEngine } from "./ocr-engine";
import { parseTesseractTsv } from "./tesseract-tsv";

/** Tessdata entries that are not text languages (`osd` only detects orientation and script). */
const NOT_TEXT_LANGUAGES = new Set(["osd"]);

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

  async recognize(run, imagePath, { language, outputBase, dpi, textOnly }) {
    const dpiArgs = dpi === undefined ? [] : ["--dpi", String(dpi)];
    const textOnlyArgs = textOnly ? ["-c", "textonly_pdf=1"] : [];
    await run("tesseract", [imagePath, outputBase, "-l", language, ...dpiArgs, ...textOnlyArgs, "tsv", "pdf"], {
      // Parallelism comes from running one tesseract per core; OpenMP threads inside each would fight over
      // the same cores (about 6x slower overall when they do).
      env: { OMP_THREAD_LIMIT: "1" },
    });
    const layout = parseTesseractTsv(await readFile(`${outputBase}.tsv`, "utf8"));
    return { layout, pdfPath: `${outputBase}.pdf` };
  },
};
