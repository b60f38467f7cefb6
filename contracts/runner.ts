import { z } from "zod";
import { ErrorCode } from "./errors";
import { ProgressUnit } from "./job";
import { PartRange } from "./parts";
import { AvResult, OcrResult } from "./results";

/**
 * The media runner's HTTP contract.
 *
 *   POST /v1/ocr?language=eng         body: the file (PDF or image), Content-Type: its sniffed MIME type
 *   POST /v1/transcribe?language=eng  body: the audio or video file, Content-Type: its sniffed MIME type
 *   POST /v1/audio-chunks             body: the audio or video file; for a speech engine outside the runner
 *                                     (both take `channels=split`: each channel on its own, as its own speaker)
 *   POST /v1/plan?pages_per_part=10&seconds_per_part=600
 *                                     body: any file; how it splits into parts (fan-out)
 *   POST /v1/pdf/merge                body: multipart/form-data, PDFs in fields `file`, in order; answers the PDF
 *   GET  /healthz                     RunnerHealth
 *
 * The work routes take one part of a file on request: `first_page` and `last_page` (OCR) or
 * `start_s` and `end_s` (speech). Page numbers and timestamps in their results stay those of the
 * whole file.
 *
 * Work routes answer 200 with `application/x-ndjson`: one RunnerEvent per line, `probe` first,
 * then `progress` lines, and last either `result` or `error` (`plan` for `/v1/plan`). `/v1/audio-chunks` sends the speech
 * audio cut at pauses instead: `audio_chunk` lines in time order, then `audio_end` (or `error`).
 * Requests the runner refuses before starting (bad type, bad query) answer a non-200 status with a
 * problem+json body.
 */
export const RunnerEvent = z.discriminatedUnion("type", [
  z.object({
    type: z.literal("probe"),
    pages: z.number().int().positive().nullable(),
    duration_s: z.number().nonnegative().nullable(),
  }),
  z.object({
    type: z.literal("progress"),
    done: z.number().int().nonnegative(),
    total: z.number().int().nonnegative(),
    unit: ProgressUnit,
    stage: z.string(),
  }),
  z.object({
    type: z.literal("result"),
    result: z.union([OcrResult, AvResult]),
    /** The searchable PDF of an OCR job, base64. */
    pdf_base64: z.string().optional(),
  }),
  z.object({
    type: z.literal("audio_chunk"),
    index: z.number().int().nonnegative(),
    total: z.number().int().positive(),
    start_s: z.number().nonnegative(),
    end_s: z.number().nonnegative(),
    /** With `channels=split`: the channel (0-based) this chunk is from; chunks of each channel come in time order. */
    channel: z.number().int().nonnegative().optional(),
    /** 16 kHz mono 16-bit WAV, base64. */
    wav_base64: z.string(),
  }),
  z.object({
    type: z.literal("plan"),
    pages: z.number().int().positive().nullable(),
    duration_s: z.number().nonnegative().nullable(),
    /** In order, covering the whole file; one part means the file is not worth splitting. */
    parts: z.array(PartRange),
  }),
  z.object({ type: z.literal("audio_end"), duration_s: z.number().nonnegative(), chunks: z.number().int() }),
  z.object({
    type: z.literal("error"),
    code: ErrorCode,
    message: z.string(),
    /** true when trying again may succeed (engine crash, resource limits), false for bad input. */
    retryable: z.boolean(),
  }),
]);
export type RunnerEvent = z.infer<typeof RunnerEvent>;

/**
 * `POST /v1/pdf/merge` `layout` field (JSON): the merged document's pages in order, each run either
 * all of the `file` sent at that index (a part's searchable PDF) or pages `first`..`last` of the
 * `source` sent along (the original pages of a part that failed, without a text layer).
 */
export const PdfMergeLayout = z
  .array(
    z.union([
      z.object({ file: z.number().int().nonnegative() }).strict(),
      z
        .object({ source: z.tuple([z.number().int().positive(), z.number().int().positive()]) })
        .strict()
        .refine(({ source: [first, last] }) => first <= last, "a page run goes from its first to its last page"),
    ]),
  )
  .min(1);
export type PdfMergeLayout = z.infer<typeof PdfMergeLayout>;

export const RunnerHealth = z.object({
  ok: z.boolean(),
  concurrency: z.number().int().positive(),
  busy: z.number().int().nonnegative(),
  engines: z.record(z.string(), z.string()),
  languages: z.array(z.string()),
});
export type RunnerHealth = z.infer<typeof RunnerHealth>;
