import { readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Run } from "../exec";

/** Adapter for libtiff's tools. */
export const libtiff = {
  /**
   * Splits a (possibly multi-page) TIFF into one file per page inside `outputDir`, which must hold nothing
   * else starting with `page-`. Returns the page files in page order (tiffsplit names them `aaa`, `aab`, ...).
   */
  async splitPages(run: Run, tiffPath: string, outputDir: string): Promise<string[]> {
    const prefix = "page-";
    await run("tiffsplit", [tiffPath, join(outputDir, prefix)]);
    const files = await readdir(outputDir);
    return files
      .filter((name) => name.startsWith(prefix))
      .sort()
      .map((name) => join(outputDir, name));
  },

  /** Bits per sample of a one-page TIFF (1 for fax scans, 8 for most, 16 for some scanners' output). */
  async bitsPerSample(run: Run, tiffPath: string): Promise<number> {
    const { stdout } = await run("tiffinfo", [tiffPath]);
    return Number(/Bits\/Sample:\s*(\d+)/.exec(stdout.toString())?.[1] ?? 8);
  },
};
