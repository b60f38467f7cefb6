import type { Run } from "../exec";
import type { PdfImageStream } from "./pdf-image-stream";

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

  /** Object `objectId` (generation 0) of `pdfPath` as stored: its dictionary and its raw, undecoded data. */
  async stream(run: Run, pdfPath: string, objectId: number): Promise<PdfImageStream> {
    const { stdout } = await run("qpdf", [
      "--json=2",
      "--json-key=qpdf",
      `--json-object=${objectId}`,
      "--json-stream-data=inline",
      "--decode-level=none",
      pdfPath,
    ]);
    const [, objects] = (JSON.parse(stdout.toString()) as { qpdf: [unknown, Record<string, unknown>] }).qpdf;
    const { stream } = (objects[`obj:${objectId} 0 R`] ?? {}) as {
      stream?: { dict: Record<string, unknown>; data: string };
    };
    if (!stream) throw new Error(`object ${objectId} is not a stream`);
    return { dict: stream.dict, data: Buffer.from(stream.data, "base64") };
  },
};
