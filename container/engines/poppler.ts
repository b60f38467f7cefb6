import type { Run } from "../exec";
import type { PageLayout } from "./layout";
import { parseBboxLayout } from "./poppler-bbox";

/** A page's one image, as `pdfimages -list` describes it. */
export interface ScanImage {
  width: number;
  height: number;
  dpi: number;
  /** Its object number and generation in the PDF. */
  objectId: number;
  generation: number;
  /** The page's lower-left corner (its media box's, which is also its crop box's), in points. */
  origin: { x: number; y: number };
}

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

  /**
   * The pages whose only image covers the whole page, unrotated and uncropped, as a scan's does: the
   * image per page number (the page's content is checked separately). (`pdfimages -list` for the document, and pdfinfo for each page's size
   * and rotation.)
   */
  async scanImages(run: Run, pdfPath: string, pageCount: number): Promise<Map<number, ScanImage>> {
    const info = (await run("pdfinfo", ["-box", "-f", "1", "-l", String(pageCount), pdfPath])).stdout.toString();
    const sizes = new Map<number, { width: number; height: number; rotation: number; boxes: Map<string, number[]> }>();
    for (const [, page, width, height] of info.matchAll(/^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+)/gm)) {
      sizes.set(Number(page), { width: Number(width), height: Number(height), rotation: 0, boxes: new Map() });
    }
    for (const [, page, rotation] of info.matchAll(/^Page\s+(\d+) rot:\s+(\d+)/gm)) {
      const size = sizes.get(Number(page));
      if (size) size.rotation = Number(rotation);
    }
    for (const [, page, box, corners = ""] of info.matchAll(/^Page\s+(\d+) (MediaBox|CropBox):\s+(.*)$/gm)) {
      sizes.get(Number(page))?.boxes.set(box as string, corners.trim().split(/\s+/).map(Number));
    }
    const list = (await run("pdfimages", ["-list", pdfPath])).stdout.toString();
    const rows = list
      .split("\n")
      .slice(2)
      .map((line) => line.trim().split(/\s+/))
      .filter((cells) => cells.length >= 14);
    const perPage = new Map<number, string[][]>();
    for (const cells of rows) perPage.set(Number(cells[0]), [...(perPage.get(Number(cells[0])) ?? []), cells]);
    const scans = new Map<number, ScanImage>();
    for (const [page, images] of perPage) {
      const size = sizes.get(page);
      const [only] = images;
      if (size?.rotation !== 0 || images.length !== 1 || !only || only[2] !== "image") continue;
      // The page shows its crop box: a scan's page shows the whole media box, whose corner the image is placed at.
      const [mediaBox = [], cropBox = []] = [size.boxes.get("MediaBox"), size.boxes.get("CropBox")];
      if (
        mediaBox.length !== 4 ||
        mediaBox.some((edge, index) => !(Math.abs(edge - (cropBox[index] ?? Number.NaN)) <= 1.5))
      ) {
        continue;
      }
      const [width, height, xPpi, yPpi] = [only[3], only[4], only[12], only[13]].map(Number) as [
        number,
        number,
        number,
        number,
      ];
      const covers = (pixels: number, ppi: number, points: number) => Math.abs((pixels / ppi) * 72 - points) <= 1.5;
      if (Math.abs(xPpi - yPpi) <= 1 && covers(width, xPpi, size.width) && covers(height, yPpi, size.height)) {
        const [objectId, generation] = [only[10], only[11]];
        scans.set(page, {
          width,
          height,
          dpi: Math.round(xPpi),
          objectId: Number(objectId),
          generation: Number(generation),
          origin: { x: mediaBox[0] ?? 0, y: mediaBox[1] ?? 0 },
        });
      }
    }
    return scans;
  },

  /** Writes page `page`'s one image as stored, decoded to an uncompressed TIFF (no rendering). */
  async extractImage(run: Run, pdfPath: string, page: number, outputBase: string): Promise<string> {
    await run("pdfimages", ["-tiff", "-f", String(page), "-l", String(page), pdfPath, outputBase]);
    return `${outputBase}-000.tif`;
  },

  /** Concatenates PDFs in the given order. */
  async merge(run: Run, inputPaths: readonly string[], outputPath: string): Promise<string> {
    await run("pdfunite", [...inputPaths, outputPath]);
    return outputPath;
  },
};
