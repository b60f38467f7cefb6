export const PDF = "application/pdf";
export const IMAGE_TYPES = ["image/png", "image/jpeg", "image/tiff", "image/webp"] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];
export type OcrMediaType = typeof PDF | ImageType;

/** The media type of a Content-Type header without parameters, lower-cased; "" when absent. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function isOcrMediaType(mediaType: string): mediaType is OcrMediaType {
  return mediaType === PDF || (IMAGE_TYPES as readonly string[]).includes(mediaType);
}

/** Any audio or video type: ffmpeg sniffs the container itself, within the demuxers the runner allows. */
export function isAvMediaType(mediaType: string): boolean {
  return /^(audio|video)\/[\w.+-]+$/.test(mediaType);
}
