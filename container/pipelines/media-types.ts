import { type ImageMimeType, OCR_MIME_TYPES, type OcrMimeType } from "../../contracts/media";

export const PDF = "application/pdf";
export type ImageType = ImageMimeType;
export type OcrMediaType = OcrMimeType;

/** The media type of a Content-Type header without parameters, lower-cased; "" when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/** The OCR types the API sends (contracts/media.ts). */
export function isOcrMediaType(mediaType: string): mediaType is OcrMediaType {
  return (OCR_MIME_TYPES as readonly string[]).includes(mediaType);
}

/** Any audio or video type: ffmpeg sniffs the container itself, within the demuxers the runner allows. */
export function isAvMediaType(mediaType: string): boolean {
  return /^(audio|video)\/[\w.+-]+$/.test(mediaType);
}
