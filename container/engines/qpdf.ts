import type { Run } from "../exec";
import type { PdfImageDictionary } from "./pdf-image-stream";

export interface PdfPage {
  contents: { id: number; generation: number }[];
  imageNames: string[];
}

/** Adapter for qpdf: page selection and overlays, without re-rendering anything, and objects as stored. */
export const qpdf = {
  /**
   * Pages `first`..`last` of `inputPath` as `outputPath`, with page `i` of `overlayPath` laid over
   * output page `onto[i]` (1-based): a text-only layer over the original page, which keeps its own
   * images, vectors and colors. Warnings about slightly malformed inputs do not fail it.
   */
  async pagesWithOverlay(
    run: Run,
    inputPath: string,
    range: { first: number; last: number },
    overlay: { path: string; onto: readonly number[] } | null,
    outputPath: string,
  ): Promise<string> {
    const overlayArgs = overlay ? ["--overlay", overlay.path, `--to=${overlay.onto.join(",")}`, "--"] : [];
    await run("qpdf", [
      "--warning-exit-0",
      inputPath,
      "--pages",
      inputPath,
      `${range.first}-${range.last}`,
      "--",
      ...overlayArgs,
      outputPath,
    ]);
    return outputPath;
  },

  /** The dictionary of stream object `id` (generation `generation`) of `pdfPath`; null when that is no stream. */
  async streamDictionary(
    run: Run,
    pdfPath: string,
    id: number,
    generation: number,
  ): Promise<PdfImageDictionary | null> {
    const { stdout } = await run("qpdf", [
      "--warning-exit-0",
      "--json=2",
      "--json-key=qpdf",
      `--json-object=${id},${generation}`,
      "--json-stream-data=none",
      pdfPath,
    ]);
    const [, objects] = (JSON.parse(stdout.toString()) as { qpdf: [unknown, Record<string, unknown> | undefined] })
      .qpdf;
    const object = objects?.[`obj:${id} ${generation} R`] as { stream?: { dict?: PdfImageDictionary } } | undefined;
    return object?.stream?.dict ?? null;
  },

  /** The data of stream object `id` (generation `generation`) of `pdfPath`: as stored, or `decoded`. */
  async streamData(run: Run, pdfPath: string, id: number, generation: number, decoded: boolean): Promise<Buffer> {
    const data = decoded ? "--filtered-stream-data" : "--raw-stream-data";
    return (await run("qpdf", ["--warning-exit-0", `--show-object=${id},${generation}`, data, pdfPath])).stdout;
  },

  /**
   * Each page, in order: its content streams (object number and generation of each) and the names its
   * resources give the images it can draw directly (not forms).
   */
  async pages(run: Run, pdfPath: string): Promise<PdfPage[]> {
    const { stdout } = await run("qpdf", ["--warning-exit-0", "--json=2", "--json-key=pages", pdfPath]);
    const { pages } = JSON.parse(stdout.toString()) as {
      pages: { contents?: string[]; images?: { name: string }[] }[];
    };
    return pages.map(({ contents = [], images = [] }) => ({
      contents: contents.map((reference) => {
        const [id = 0, generation = 0] = reference.split(" ").map(Number);
        return { id, generation };
      }),
      imageNames: images.map((image) => image.name),
    }));
  },
};
