import { z } from "zod";
import { PartFailure } from "./parts";

/** [x0, y0, x1, y1], in the page's `unit`, origin top-left. */
export const BBox = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const OcrWord = z.object({ text: z.string(), bbox: BBox, confidence: z.number().min(0).max(1) });
export const OcrLine = z.object({
  text: z.string(),
  bbox: BBox,
  confidence: z.number().min(0).max(1),
  words: z.array(OcrWord),
});
export const OcrBlock = z.object({ bbox: BBox, lines: z.array(OcrLine) });
export const OcrPage = z.object({
  page: z.number().int().positive(),
  width: z.number(),
  height: z.number(),
  unit: z.enum(["px", "pt"]),
  /** `ocr`: recognized from pixels; `text-layer`: taken from the PDF's own text. */
  source: z.enum(["ocr", "text-layer"]),
  /**
   * How the page image was turned to read it (`rotate_pages`, `deskew`): quarter turns clockwise
   * (0, 90, 180 or 270), then `skew_deg` degrees clockwise. `width`, `height` and every box are in
   * the turned (upright) page's space, whose canvas holds the whole turned image.
   */
  rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]).default(0),
  skew_deg: z.number().default(0),
  /** The mean confidence of the page's words (0–1; a text layer's are 1); null when it has none. */
  confidence: z.number().min(0).max(1).nullable().default(null),
  text: z.string(),
  blocks: z.array(OcrBlock),
});
/** A page whose words were read with a mean confidence under this is worth a look (`low_confidence`). */
export const LOW_PAGE_CONFIDENCE = 0.6;

/** What a reader of the result should know about a page: it read poorly, or no text was found on it. */
export const OcrWarning = z.object({
  code: z.enum(["low_confidence", "no_text"]),
  page: z.number().int().positive(),
  message: z.string(),
});
export type OcrWarning = z.infer<typeof OcrWarning>;

export const OcrResult = z.object({
  kind: z.literal("ocr"),
  engine: z.string(),
  /** The language the pages were read in (with `language: "auto"`, the one found). */
  language: z.string(),
  /**
   * With `language: "auto"` only: the language found (a Tesseract code), or null when the pages held
   * too little text to tell (they were then read in English).
   */
  detected_language: z.string().nullable().optional(),
  pages: z.array(OcrPage),
  /** Pages read poorly or with no text, in page order. */
  warnings: z.array(OcrWarning).default([]),
  /** Parts of a fanned-out job that failed for good: their pages are missing above. */
  failed_parts: z.array(PartFailure).optional(),
});
export type OcrResult = z.infer<typeof OcrResult>;
export type OcrPage = z.infer<typeof OcrPage>;

/** The mean confidence of the words in `blocks`; null when there are none. */
export function meanWordConfidence(blocks: OcrPage["blocks"]): number | null {
  const words = blocks.flatMap((block) => block.lines.flatMap((line) => line.words));
  return words.length === 0 ? null : words.reduce((sum, word) => sum + word.confidence, 0) / words.length;
}

/** The warnings of a document's pages (see OcrWarning), in page order. */
export function ocrWarnings(pages: readonly OcrPage[]): OcrWarning[] {
  return [...pages]
    .sort((a, b) => a.page - b.page)
    .flatMap((page): OcrWarning[] => {
      if (page.confidence === null || page.text.trim() === "") {
        return [{ code: "no_text", page: page.page, message: `No text was found on page ${page.page}` }];
      }
      if (page.confidence < LOW_PAGE_CONFIDENCE) {
        const percent = Math.round(page.confidence * 100);
        return [
          {
            code: "low_confidence",
            page: page.page,
            message: `Page ${page.page} was read with a mean word confidence of ${percent}%: check its text (a poor scan, handwriting, or another language?)`,
          },
        ];
      }
      return [];
    });
}

export const AvWord = z.object({
  text: z.string(),
  start: z.number(),
  end: z.number(),
  confidence: z.number().min(0).max(1),
});
/**
 * A stretch of speech a person reads as one unit: split at pauses and sentence ends (the API's
 * segments run up to 30 s, most much shorter), never across speakers.
 */
export const AvSegment = z.object({
  start: z.number(),
  end: z.number(),
  text: z.string(),
  words: z.array(AvWord),
  speaker: z
    .string()
    .optional()
    .describe('who speaks ("Speaker 1", "Channel 2, Speaker 1"), when known: with `diarize` or `channels: "split"`'),
  channel: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('the channel (0-based) it was heard on, with `channels: "split"`'),
});

/** What a reader of a transcript should know about how it was made. */
export const AvWarning = z.object({
  code: z.enum(["language_not_detected", "vocabulary_unused"]),
  message: z.string(),
  /** With `vocabulary_unused`: the terms the engine could not use. */
  terms: z.array(z.string()).optional(),
});
export type AvWarning = z.infer<typeof AvWarning>;

export const AvResult = z.object({
  kind: z.literal("av"),
  engine: z.string(),
  /** The language of the text (with `translate`, `eng`; with `language: "auto"`, the one heard). */
  language: z.string(),
  detected_language: z
    .string()
    .nullable()
    .optional()
    .describe('with `language: "auto"` only: the language heard, or null when the engine cannot tell (see `warnings`)'),
  translated: z
    .boolean()
    .optional()
    .describe("true when the text is an English translation of the speech (`translate`)"),
  duration_s: z.number(),
  segments: z.array(AvSegment),
  warnings: z
    .array(AvWarning)
    .default([])
    .describe("what a reader should know of how the transcript was made (a language not detected, vocabulary unused)"),
  /** Parts of a fanned-out job that failed for good: their spans have no segments above. */
  failed_parts: z.array(PartFailure).optional(),
});
export type AvResult = z.infer<typeof AvResult>;
export type AvSegment = z.infer<typeof AvSegment>;

export const ExtractionResult = z.discriminatedUnion("kind", [OcrResult, AvResult]);
export type ExtractionResult = z.infer<typeof ExtractionResult>;
