import { fileTypeFromBlob } from "file-type";
import type { JobKind } from "../../contracts";

/** What each supported format is for, keyed by the extension `file-type` reports from the bytes. */
const SUPPORTED: Record<string, { kind: JobKind; mime: string }> = {
  pdf: { kind: "ocr", mime: "application/pdf" },
  png: { kind: "ocr", mime: "image/png" },
  jpg: { kind: "ocr", mime: "image/jpeg" },
  tif: { kind: "ocr", mime: "image/tiff" },
  webp: { kind: "ocr", mime: "image/webp" },
  wav: { kind: "av", mime: "audio/wav" },
  mp3: { kind: "av", mime: "audio/mpeg" },
  m4a: { kind: "av", mime: "audio/mp4" },
  aac: { kind: "av", mime: "audio/aac" },
  ogg: { kind: "av", mime: "audio/ogg" },
  oga: { kind: "av", mime: "audio/ogg" },
  opus: { kind: "av", mime: "audio/ogg" },
  flac: { kind: "av", mime: "audio/flac" },
  mp4: { kind: "av", mime: "video/mp4" },
  m4v: { kind: "av", mime: "video/mp4" },
  mov: { kind: "av", mime: "video/quicktime" },
  mkv: { kind: "av", mime: "video/x-matroska" },
  webm: { kind: "av", mime: "video/webm" },
};

export const SUPPORTED_EXTENSIONS = Object.keys(SUPPORTED);

/** Decides the job kind from the file's content, never its name. `null` when unsupported. */
export async function detectFileKind(file: Blob): Promise<{ kind: JobKind; mime: string; ext: string } | null> {
  const type = await fileTypeFromBlob(file);
  const match = type && SUPPORTED[type.ext];
  return type && match ? { ...match, ext: type.ext } : null;
}
