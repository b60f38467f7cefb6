import { describe, expect, it } from "vitest";
import { detectFileKind, SNIFF_BYTES } from "./file-kind";

/** A little-endian TIFF header whose first directory (one entry) starts at `ifdOffset`. */
function tiff(ifdOffset: number, size = ifdOffset + 18): Uint8Array {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x49, 0x49, 42, 0]);
  view.setUint32(4, ifdOffset, true);
  view.setUint16(ifdOffset, 1, true); // one entry
  view.setUint16(ifdOffset + 2, 256, true); // ImageWidth
  return bytes;
}

describe("detectFileKind", () => {
  it("judges a file by its first bytes", async () => {
    expect(await detectFileKind(new TextEncoder().encode("%PDF-1.7\n%âãÏÓ\n1 0 obj"))).toEqual({
      kind: "ocr",
      mime: "application/pdf",
    });
    expect(await detectFileKind(new TextEncoder().encode("just text"))).toBeNull();
  });

  it("knows a TIFF whose first directory lies past the first 4 KiB, from the bytes sniffing reads", async () => {
    const near = tiff(200_000);
    expect(await detectFileKind(near.subarray(0, SNIFF_BYTES))).toEqual({ kind: "ocr", mime: "image/tiff" });
    const far = tiff(30_000_000);
    expect(await detectFileKind(far.subarray(0, SNIFF_BYTES))).toEqual({ kind: "ocr", mime: "image/tiff" });
    expect(await detectFileKind(new Blob([far]).slice(0, SNIFF_BYTES))).toEqual({ kind: "ocr", mime: "image/tiff" });
  });
});
