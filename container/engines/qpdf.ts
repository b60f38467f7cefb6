import type { Run } from "../exec";
/** An indirect object's number and generation. */
export interface PdfReference {
  id: number;
  generation: number;
}

/** An object as qpdf's JSON shows it (names as "/Name" strings, references as "12 0 R"). */
export interface PdfObject {
  /** A stream's dictionary. */
  dict?: Record<string, unknown>;
  /** A stream's data, when asked for. */
  data?: Buffer;
  /** Any other object's value. */
  value?: unknown;
}

export interface PdfPage {
  object: PdfReference;
  contents: PdfReference[];
  images: { name: string; object: PdfReference }[];
}

/** Adapter for qpdf: page selection and overlays, without re-rendering anything, and objects as stored. */
export const qpdf = {
  /**
   * One document of page runs of several: all pages of a file (`last` null) or `first`..`last` of
   * it, in the order given. Warnings about slightly malformed inputs do not fail it.
   */
  async assemble(
    run: Run,
    runs: readonly { path: string; first: number; last: number | null }[],
    outputPath: string,
  ): Promise<string> {
    const pages = runs.flatMap(({ path, first, last }) => [path, `${first}-${last ?? "z"}`]);
    await run("qpdf", ["--warning-exit-0", "--empty", "--pages", ...pages, "--", outputPath]);
    return outputPath;
  },

  /**
   * Pages `pageNumbers` (in order) of `inputPath` as `outputPath`, with page `i` of `overlayPath` laid
   * over output page `onto[i]` (1-based): a text-only layer over the original page, which keeps its own
   * images, vectors and colors. Each of `replaced` puts page `index` of its `pdfPath` in the place
   * of document page `page`. Warnings about slightly malformed inputs do not fail it.
   */
  async pagesWithOverlay(
    run: Run,
    inputPath: string,
    pageNumbers: readonly number[],
    overlay: { path: string; onto: readonly number[] } | null,
    outputPath: string,
    replaced: readonly { page: number; pdfPath: string; index: number }[] = [],
  ): Promise<string> {
    // Original pages that follow each other go as one run ("3-7"); a replacement is a page of its own file.
    const runs: { path: string; first: number; last: number }[] = [];
    for (const page of pageNumbers) {
      const replacement = replaced.find((r) => r.page === page);
      const previous = runs.at(-1);
      if (replacement) runs.push({ path: replacement.pdfPath, first: replacement.index, last: replacement.index });
      else if (previous?.path === inputPath && previous.last === page - 1) previous.last = page;
      else runs.push({ path: inputPath, first: page, last: page });
    }
    const pages = runs.flatMap(({ path, first, last }) => [path, first === last ? `${first}` : `${first}-${last}`]);
    const overlayArgs = overlay ? ["--overlay", overlay.path, `--to=${overlay.onto.join(",")}`, "--"] : [];
    await run("qpdf", ["--warning-exit-0", inputPath, "--pages", ...pages, "--", ...overlayArgs, outputPath]);
    return outputPath;
  },

  /**
   * Objects of `pdfPath` as stored, by reference: a stream's dictionary, with its data decoded
   * (`"decoded"`, by the filters qpdf knows in general) or not at all (`"none"`); any other object's value.
   * More than `maxOutputBytes` of them fails (`output_limit`).
   */
  async objects(
    run: Run,
    pdfPath: string,
    references: readonly PdfReference[],
    streamData: "none" | "decoded",
    maxOutputBytes?: number,
  ): Promise<Map<string, PdfObject>> {
    const { stdout } = await run(
      "qpdf",
      [
        "--warning-exit-0",
        "--json=2",
        "--json-key=qpdf",
        ...references.map(({ id, generation }) => `--json-object=${id},${generation}`),
        `--json-stream-data=${streamData === "none" ? "none" : "inline"}`,
        "--decode-level=generalized",
        pdfPath,
      ],
      { maxStdoutBytes: maxOutputBytes },
    );
    const [, found = {}] = (JSON.parse(stdout.toString()) as { qpdf: [unknown, Record<string, unknown>?] }).qpdf;
    const objects = new Map<string, PdfObject>();
    for (const { id, generation } of references) {
      const object = found[`obj:${id} ${generation} R`] as
        | { value?: unknown; stream?: { dict: Record<string, unknown>; data?: string } }
        | undefined;
      if (!object) continue;
      objects.set(`${id} ${generation}`, {
        value: object.value,
        dict: object.stream?.dict,
        data: object.stream?.data === undefined ? undefined : Buffer.from(object.stream.data, "base64"),
      });
    }
    return objects;
  },

  /** The data of stream object `reference` of `pdfPath` as stored, not decoded. */
  async rawStreamData(run: Run, pdfPath: string, { id, generation }: PdfReference): Promise<Buffer> {
    const object = `--show-object=${id},${generation}`;
    return (await run("qpdf", ["--warning-exit-0", object, "--raw-stream-data", pdfPath])).stdout;
  },

  /** Each page, in order: its object, its content streams, and the images its resources name directly (not forms). */
  async pages(run: Run, pdfPath: string): Promise<PdfPage[]> {
    const { stdout } = await run("qpdf", ["--warning-exit-0", "--json=2", "--json-key=pages", pdfPath]);
    const { pages } = JSON.parse(stdout.toString()) as {
      pages: { object: string; contents?: string[]; images?: { name: string; object: string }[] }[];
    };
    return pages.map(({ object, contents = [], images = [] }) => ({
      object: referenceOf(object),
      contents: contents.map(referenceOf),
      images: images.map((image) => ({ name: image.name, object: referenceOf(image.object) })),
    }));
  },
};

/** `"12 0 R"` → { id: 12, generation: 0 }. */
function referenceOf(text: string): PdfReference {
  const [id = 0, generation = 0] = text.split(" ").map(Number);
  return { id, generation };
}
