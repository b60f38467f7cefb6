import { open } from "node:fs/promises";
import type { ImageType } from "./media-types";

const SIGNATURES: Record<ImageType, (head: Buffer) => boolean> = {
  "image/png": (head) => head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  "image/jpeg": (head) => head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff,
  // Little- and big-endian, classic and BigTIFF.
  "image/tiff": (head) => ["49492a00", "4d4d002a", "49492b00", "4d4d002b"].includes(head.toString("hex", 0, 4)),
  "image/webp": (head) => head.toString("latin1", 0, 4) === "RIFF" && head.toString("latin1", 8, 12) === "WEBP",
};

/**
 * Whether the file starts like an image of `type`. This guards tesseract: given a file it cannot decode as
 * an image, tesseract reads it as a list of image paths and would OCR whatever server files it names.
 */
export async function hasImageSignature(path: string, type: ImageType): Promise<boolean> {
  const file = await open(path);
  try {
    const head = Buffer.alloc(12);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return SIGNATURES[type](head.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}
