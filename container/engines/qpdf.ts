import type { Run } from "../exec";

/** Adapter for qpdf: page selection and overlays, without re-rendering anything. */
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
};
