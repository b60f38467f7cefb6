import { open } from "node:fs/promises";
import type { Run } from "../exec";

/** Where an image declares its resolution: PNG's pHYs and JPEG's JFIF header come first in the file. */
const HEAD_BYTES = 256 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const INCHES_PER_METRE = 1 / 0.0254;
const CM_PER_INCH = 2.54;

/**
 * The resolution an image file declares, in dots per inch: PNG's pHYs chunk, a JPEG's JFIF header
 * (what scanners write), a TIFF's XResolution (libtiff's `tiffinfo`). Undefined when it declares none
 * (or only an aspect ratio). The OCR engine reads the same from the file itself; copies made of the
 * page (turned, evened) lose it, and are given it, so their searchable PDF page keeps its size.
 */
export async function declaredDpi(run: Run, path: string, mediaType: string): Promise<number | undefined> {
  if (mediaType === "image/tiff") {
    const { stdout } = await run("tiffinfo", [path]);
    const found = /Resolution: ([\d.]+), [\d.]+ pixels\/(inch|cm)/.exec(stdout.toString());
    return found ? sensible(Number(found[1]) * (found[2] === "cm" ? CM_PER_INCH : 1)) : undefined;
  }
  const file = await open(path, "r");
  try {
    const head = new Uint8Array(HEAD_BYTES);
    const { bytesRead } = await file.read(head, 0, HEAD_BYTES, 0);
    const bytes = head.subarray(0, bytesRead);
    if (mediaType === "image/png") return pngDpi(bytes);
    if (mediaType === "image/jpeg") return jfifDpi(bytes);
    return undefined;
  } finally {
    await file.close();
  }
}

function pngDpi(bytes: Uint8Array): number | undefined {
  if (!PNG_SIGNATURE.every((byte, i) => bytes[i] === byte)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 8; at + 8 <= bytes.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === "IDAT" || type === "IEND") return undefined;
    // pHYs: pixels per unit across and down, then the unit (1: the metre; 0: an aspect ratio only).
    if (type === "pHYs" && length === 9 && at + 17 <= bytes.length) {
      return bytes[at + 16] === 1 ? sensible(view.getUint32(at + 8) / INCHES_PER_METRE) : undefined;
    }
    at += 12 + length;
  }
  return undefined;
}

function jfifDpi(bytes: Uint8Array): number | undefined {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let at = 2; at + 4 <= bytes.length; ) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1];
    // Start of scan: the headers are over.
    if (marker === 0xda) return undefined;
    const length = view.getUint16(at + 2);
    // APP0 "JFIF\0": version (2 bytes), units (0: an aspect ratio only, 1: per inch, 2: per cm), X density.
    const jfif = marker === 0xe0 && String.fromCharCode(...bytes.subarray(at + 4, at + 9)) === "JFIF\0";
    if (jfif && at + 16 <= bytes.length) {
      const units = bytes[at + 11];
      const density = view.getUint16(at + 12);
      if (units === 1) return sensible(density);
      if (units === 2) return sensible(density * CM_PER_INCH);
      return undefined;
    }
    at += 2 + length;
  }
  return undefined;
}

/** A declared resolution worth believing (some files say 1 dpi, or a million). */
function sensible(dpi: number): number | undefined {
  const rounded = Math.round(dpi);
  return rounded >= 50 && rounded <= 2400 ? rounded : undefined;
}
