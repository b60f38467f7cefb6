import type { Run } from "../exec";
import type { PdfImageDictionary } from "./pdf-image-stream";

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

  /** The data of stream object `id` (generation `generation`) of `pdfPath` as stored, not decoded. */
  async rawStreamData(run: Run, pdfPath: string, id: number, generation: number): Promise<Buffer> {
    const object = `--show-object=${id},${generation}`;
    return (await run("qpdf", ["--warning-exit-0", object, "--raw-stream-data", pdfPath])).stdout;
  },
};
