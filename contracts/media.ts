import type { JobKind } from "./job";

/**
 * Every supported input, keyed by the extension content sniffing reports (`file-type`), with the
 * kind of work it gets and the canonical MIME type the API stores and sends to the runner.
 */
export const SUPPORTED_MEDIA = {
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
} as const satisfies Record<string, { kind: JobKind; mime: string }>;

type Media = (typeof SUPPORTED_MEDIA)[keyof typeof SUPPORTED_MEDIA];
export type OcrMimeType = Extract<Media, { kind: "ocr" }>["mime"];
export type ImageMimeType = Exclude<OcrMimeType, "application/pdf">;

const mimesOf = (kind: JobKind) => [
  ...new Set(Object.values(SUPPORTED_MEDIA).flatMap((m) => (m.kind === kind ? [m.mime] : []))),
];
export const OCR_MIME_TYPES = mimesOf("ocr") as OcrMimeType[];
export const AV_MIME_TYPES = mimesOf("av");
