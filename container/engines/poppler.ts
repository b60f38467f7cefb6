import type { Run } from "../exec";
import type { PageLayout } from "./layout";
import { parseBboxLayout } from "./poppler-bbox";

/** Adapter for the poppler-utils command-line tools. Page numbers are 1-based, as poppler counts. */
export const poppler = {
  async version(run: Run): Promise<string> {
    const { stdout, stderr } = await run("pdfinfo", ["-v"]);
    return /version\s+(\S+)/.exec(`${stdout.toString()}\n${stderr}`)?.[1] ?? "unknown";
  },

  async pageCount(run: Run, pdfPath: string): Promise<number> {
    const { stdout } = await run("pdfinfo", [pdfPath]);
    const pages = /^Pages:\s+(\d+)/m.exec(stdout.toString())?.[1];
    if (pages === undefined) throw new Error("pdfinfo reported no page count");
    return Number(pages);
  },

  /** The page's own text with word boxes, in points; empty for pages that are only images. */
  async textLayout(run: Run, pdfPath: string, page: number): Promise<PageLayout> {
    const { stdout } = await run("pdftotext", ["-bbox-layout", "-f", String(page), "-l", String(page), pdfPath, "-"]);
    return parseBboxLayout(stdout.toString());
  },

  /**
   * Renders one page to `${outputBase}.pgm`, in shades of grey, for recognition only: uncompressed
   * grey renders and reads in about a third of the time of a color PNG, and OCR sees no color.
   */
  async renderGray(run: Run, pdfPath: string, page: number, dpi: number, outputBase: string): Promise<string> {
    const pageArgs = ["-f", String(page), "-l", String(page)];
    await run("pdftoppm", ["-r", String(dpi), ...pageArgs, "-gray", "-singlefile", pdfPath, outputBase]);
    return `${outputBase}.pgm`;
  },

  /** Concatenates PDFs in the given order. */
  async merge(run: Run, inputPaths: readonly string[], outputPath: string): Promise<string> {
    await run("pdfunite", [...inputPaths, outputPath]);
    return outputPath;
  },
};
