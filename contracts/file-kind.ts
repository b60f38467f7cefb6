import { fileTypeFromStream } from "file-type";
import type { JobKind } from "./job";
import { SUPPORTED_MEDIA } from "./media";

/**
 * The rules an upload's type is judged by, in one place: the API applies them to every upload and
 * the web UI applies the same ones before sending (file-type reads the first bytes in both).
 */
export const SUPPORTED_EXTENSIONS = Object.keys(SUPPORTED_MEDIA);

/**
 * Decides the job kind from the first bytes of a file (up to SNIFF_BYTES of it; fewer when the file
 * is shorter), never its name. `null` when unsupported. The bytes are read as the start of a stream
 * of unknown length, so formats whose signature points further into the file are judged as a
 * stream-reading sniffer would: a TIFF whose first directory lies beyond what is read is a TIFF.
 */
export async function detectFileKind(head: Blob | Uint8Array): Promise<{ kind: JobKind; mime: string } | null> {
  const bytes = head instanceof Blob ? head : new Blob([head as Uint8Array<ArrayBuffer>]);
  const type = await fileTypeFromStream(bytes.stream());
  const match = type && (SUPPORTED_MEDIA as Record<string, { kind: JobKind; mime: string }>)[type.ext];
  return match ? { kind: match.kind, mime: match.mime } : null;
}

/**
 * How many leading bytes content sniffing reads: file-type's own minimum (4100) is enough for most
 * formats, but a TIFF's first directory may sit up to 1 MiB in (file-type follows it that far in a
 * stream), with up to 512 entries of 12 bytes.
 */
export const SNIFF_BYTES = 1024 * 1024 + 8 * 1024;

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

const FAMILY_NAMES: Record<Family, string> = { pdf: "PDF", image: "image", "audio/video": "recording" };

/**
 * What to tell someone whose file's first bytes are no format this service reads, in plain words:
 * a name that promises a supported type (`report.pdf`) means the file is damaged or not really of
 * that type; any other name, that the type is not one this service reads. The same text in the API
 * and the web UI.
 */
export function unsupportedContentMessage(fileName: string): string {
  const ext = /\.([a-z0-9]+)$/i.exec(fileName)?.[1]?.toLowerCase() ?? "";
  const named = (SUPPORTED_MEDIA as Record<string, { mime: string }>)[EXTENSION_ALIASES[ext] ?? ext];
  const family = named ? familyOfMime(named.mime) : null;
  if (family) {
    const what = FAMILY_NAMES[family];
    return `This file is named .${ext} but is not a readable ${what}: it may be damaged, or another kind of file renamed. Export or save it again as a ${what} and upload that.`;
  }
  return `This is not a file type Verbatim reads. Upload a document or image (${extensionsFor("ocr").join(", ")}) or a recording (${extensionsFor("av").join(", ")}).`;
}

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
