import { fileTypeFromBlob, fileTypeFromBuffer } from "file-type";
import type { JobKind } from "./job";
import { SUPPORTED_MEDIA } from "./media";

/**
 * The rules an upload's type is judged by, in one place: the API applies them to every upload and
 * the web UI applies the same ones before sending (file-type reads the first bytes in both).
 */
export const SUPPORTED_EXTENSIONS = Object.keys(SUPPORTED_MEDIA);

/** Decides the job kind from the file's content (or its first bytes), never its name. `null` when unsupported. */
export async function detectFileKind(file: Blob | Uint8Array): Promise<{ kind: JobKind; mime: string } | null> {
  const type = file instanceof Uint8Array ? await fileTypeFromBuffer(file) : await fileTypeFromBlob(file);
  const match = type && (SUPPORTED_MEDIA as Record<string, { kind: JobKind; mime: string }>)[type.ext];
  return match ? { kind: match.kind, mime: match.mime } : null;
}

/** How many leading bytes content sniffing needs. */
export const SNIFF_BYTES = 4100;

/** A family of media: what a name or a declared type may claim without contradicting the content. */
type Family = "pdf" | "image" | "audio/video";
const familyOfMime = (mime: string): Family | null =>
  mime === "application/pdf"
    ? "pdf"
    : mime.startsWith("image/")
      ? "image"
      : mime.startsWith("audio/") || mime.startsWith("video/")
        ? "audio/video"
        : null;
const EXTENSION_ALIASES: Record<string, string> = { jpeg: "jpg", tiff: "tif" };

/** The extensions of the supported files of one kind (aliases included), e.g. for a file picker. */
export const extensionsFor = (kind: JobKind): string[] => {
  const own = Object.entries(SUPPORTED_MEDIA).flatMap(([ext, m]) => (m.kind === kind ? [ext] : []));
  return [...own, ...Object.keys(EXTENSION_ALIASES).filter((alias) => own.includes(EXTENSION_ALIASES[alias] ?? ""))];
};

/**
 * Why the file's name or its declared type contradicts what its bytes are (null when they agree or
 * say nothing we know): a `.pdf` that is audio, an `image/png` part that is a PDF. Unknown
 * extensions and generic types (`application/octet-stream`) claim nothing.
 */
export function claimMismatch(file: { name: string; type: string }, detectedMime: string): string | null {
  const actual = familyOfMime(detectedMime);
  const ext = /\.([a-z0-9]+)$/i.exec(file.name)?.[1]?.toLowerCase() ?? "";
  const named = (SUPPORTED_MEDIA as Record<string, { mime: string }>)[EXTENSION_ALIASES[ext] ?? ext];
  if (named && familyOfMime(named.mime) !== actual) {
    return `the name says .${ext} (${familyOfMime(named.mime)}) but the content is ${detectedMime}`;
  }
  const declared = familyOfMime(file.type.split(";")[0]?.trim().toLowerCase() ?? "");
  if (declared && declared !== actual) return `the declared type is ${file.type} but the content is ${detectedMime}`;
  return null;
}
