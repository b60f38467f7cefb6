import { z } from "zod";
import { ErrorCode } from "./errors";
import { SpeechEngineChoice } from "./languages";
import { PageSelection } from "./page-selection";
import { JobParts } from "./parts";

export const JOB_KINDS = ["ocr", "av"] as const;
export const JobKind = z.enum(JOB_KINDS);
export type JobKind = z.infer<typeof JobKind>;

/** `queued` → `processing` → one of the terminal statuses. */
export const JOB_STATUSES = ["queued", "processing", "succeeded", "failed", "canceled"] as const;
export const JobStatus = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof JobStatus>;

export const TERMINAL_STATUSES = ["succeeded", "failed", "canceled"] as const satisfies readonly JobStatus[];
export const isTerminal = (s: JobStatus): boolean => (TERMINAL_STATUSES as readonly JobStatus[]).includes(s);
/** The statuses of a job not ended yet: it counts as running against the user's limits. */
export const ACTIVE_STATUSES = JOB_STATUSES.filter((s) => !isTerminal(s));

/** A job id: `job_` and a ULID (so ids sort by creation time). */
export const JOB_ID_PATTERN = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;

export const OUTPUT_FORMATS = {
  ocr: ["txt", "json", "md", "pdf"],
  av: ["txt", "json", "srt", "vtt"],
} as const satisfies Record<JobKind, readonly string[]>;
export const ResultFormat = z.enum(["txt", "json", "md", "pdf", "srt", "vtt"]);
export type ResultFormat = z.infer<typeof ResultFormat>;

/**
 * The name a result is saved under: the source's name with the format's extension, and for the
 * searchable PDF `.searchable.pdf`, so it neither overwrites nor passes for the original scan.
 */
export function resultFileName(sourceName: string, format: ResultFormat): string {
  const base = sourceName.replace(/\.[^.]*$/, "").trim() || "result";
  return `${base}.${format === "pdf" ? "searchable.pdf" : format}`;
}

/** The most terms a job's `vocabulary` holds, and the longest term. */
export const MAX_VOCABULARY_TERMS = 100;
export const MAX_VOCABULARY_TERM_LENGTH = 100;

/**
 * A term of a job's vocabulary: text a person could say, without control or format characters (line
 * breaks, escapes, zero-width spaces and direction marks), which would end up in Whisper's prompt,
 * nova-3's request or the result's warnings unseen. The zero-width joiner and non-joiner are letters'
 * business in Indic scripts (and emoji), so they are kept.
 */
const VocabularyTerm = z
  .string()
  .trim()
  .min(1)
  .max(MAX_VOCABULARY_TERM_LENGTH)
  .refine((term) => /^(?:[^\p{Cc}\p{Cf}]|[\u200C\u200D])+$/u.test(term), {
    message: "a term must not hold control or format characters (line breaks, tabs, zero-width or direction marks)",
  });

/** Languages are Tesseract/ISO 639-2 style codes; the runner says which ones it has. */
export const JobOptions = z
  .object({
    language: z
      .string()
      .regex(
        /^(auto|[a-z]{3}(_[a-z]+)?(\+[a-z]{3}(_[a-z]+)?)*)$/,
        "a Tesseract language code such as `eng` or `chi_sim`, several joined by `+` (OCR), or `auto` (find it)",
      )
      .default("eng"),
    /**
     * OCR: turn each page upright (0, 90, 180 or 270°) before reading it, as OCRmyPDF's `--rotate-pages`;
     * on unless false (a document's job says so, settled at submission; a recording's leaves it out).
     */
    rotate_pages: z
      .boolean()
      .optional()
      .describe(
        "OCR: turn each page upright (0, 90, 180 or 270°) before reading it; on unless `false`. A document's job says `true` or `false`; a recording's leaves it out",
      ),
    /** OCR: straighten each page's skew before reading it, as OCRmyPDF's `--deskew`; on unless false. */
    deskew: z
      .boolean()
      .optional()
      .describe(
        "OCR: straighten each page's skew before reading it; on unless `false`. A document's job says `true` or `false`; a recording's leaves it out",
      ),
    /** OCR: only these pages ("1-3,7"); all when absent. Results keep the pages' numbers in the document. */
    pages: PageSelection.optional(),
    /**
     * A/V: the speech engine (`auto`: the best this deployment has for the other options; a job's
     * options then name the one chosen, which all its parts and attempts run on). One this deployment
     * lacks, or one that cannot do what the other options ask, is refused (`engine_unavailable`).
     */
    engine: SpeechEngineChoice.optional().describe(
      "A/V: the speech engine; `auto` (the default) takes the best this deployment has for the other options, and the job's options then name it (every part and retry of the job runs on it). One it lacks, or one that cannot do what they ask, is refused (422 engine_unavailable). GET /v1/languages lists the engines and their abilities.",
    ),
    /** A/V: names and terms to listen for (Whisper's prompt, nova-3's key terms); the result says which went unused. */
    vocabulary: z.array(VocabularyTerm).min(1).max(MAX_VOCABULARY_TERMS).optional(),
    /** A/V: English text from speech in another language (Whisper's `translate` task). */
    translate: z
      .boolean()
      .optional()
      .describe("A/V: English text from speech in another language (Whisper); refused where no engine can translate"),
    /** A/V: label who speaks when (`speaker` on segments; an engine that can is needed). */
    diarize: z
      .boolean()
      .optional()
      .describe("A/V: label who speaks when (`speaker` on segments; nova-3); refused where no engine can"),
    /**
     * A/V: `split` transcribes each channel of a stereo or multichannel file on its own, as its own speaker
     * (call recordings keep one party per channel); `mix` (the default) hears them mixed down.
     */
    channels: z
      .enum(["mix", "split"])
      .optional()
      .describe(
        "A/V: `split` transcribes each channel (up to 8) on its own as its own speaker (call recordings); `mix` (the default) hears them mixed down",
      ),
  })
  .strict();
export type JobOptions = z.infer<typeof JobOptions>;

/** The options that apply to recordings only. */
export const AV_ONLY_OPTIONS = ["engine", "vocabulary", "translate", "diarize", "channels"] as const;

/** What in `options` does not apply to a job of `kind` (`validation_failed`); null when all of it does. */
export function optionsMisfit(kind: JobKind, options: JobOptions): string | null {
  if (kind === "av" && options.pages !== undefined) {
    return "options.pages: page ranges apply to documents and images, not to audio or video";
  }
  const misfit = kind === "ocr" ? AV_ONLY_OPTIONS.find((name) => options[name] !== undefined) : undefined;
  return misfit ? `options.${misfit}: applies to audio and video, not to documents and images` : null;
}

/**
 * The options as an Idempotency-Key's fingerprint counts them: options added after keys were first
 * stored (`rotate_pages`, `deskew`) only when they differ from their default, so that a request sent
 * again with its key still matches the fingerprint stored before they existed.
 */
export function fingerprintOptions({ rotate_pages, deskew, ...rest }: JobOptions): Partial<JobOptions> {
  return { ...rest, ...(rotate_pages === false ? { rotate_pages } : {}), ...(deskew === false ? { deskew } : {}) };
}

/** What progress counts: pages of a document, seconds of a recording (`chunks`: jobs made before seconds were counted). */
export const ProgressUnit = z.enum(["pages", "seconds", "chunks"]);
export type ProgressUnit = z.infer<typeof ProgressUnit>;

export const JobProgress = z.object({
  done: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  unit: ProgressUnit,
  stage: z.string(),
});
export type JobProgress = z.infer<typeof JobProgress>;

export const JobError = z.object({ code: ErrorCode, message: z.string() });
export type JobError = z.infer<typeof JobError>;

export const JobFile = z.object({
  name: z.string(),
  size: z.number().int().nonnegative(),
  mime: z.string(),
  /** SHA-256 of the uploaded bytes, hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  pages: z.number().int().positive().nullable(),
  duration_s: z.number().nonnegative().nullable(),
});
export type JobFile = z.infer<typeof JobFile>;

/** The job as the coordinator keeps it and as the API returns it (plus `links`). */
export const Job = z.object({
  id: z.string(),
  user_id: z.string(),
  kind: JobKind,
  status: JobStatus,
  file: JobFile,
  options: JobOptions,
  progress: JobProgress.nullable(),
  error: JobError.nullable(),
  /** Times the job was taken for processing (retries and recoveries included). */
  attempts: z.number().int().nonnegative(),
  /** Wall-clock seconds spent in engines over all attempts: what the job's cost budget counts. */
  engine_seconds: z.number().nonnegative().default(0),
  /** Times an operator replayed the job after it failed; each replay grants a fresh budget. */
  replays: z.number().int().nonnegative().default(0),
  /** Set when the job was split into parts (fan-out): how many, how many are done, which failed. */
  parts: JobParts.nullable().default(null),
  request_id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});
export type Job = z.infer<typeof Job>;

export const JobLinks = z.object({
  self: z.string(),
  events: z.string(),
  results: z.record(z.string(), z.string()),
});

export const JobResource = Job.omit({ user_id: true }).extend({ links: JobLinks });
export type JobResource = z.infer<typeof JobResource>;

export const JobList = z.object({ data: z.array(JobResource), next_cursor: z.string().nullable() });

/** How many of a user's jobs are in each status. */
export const JobCounts = z.object(
  Object.fromEntries(JOB_STATUSES.map((s) => [s, z.number().int().nonnegative()])) as Record<JobStatus, z.ZodNumber>,
);
export type JobCounts = z.infer<typeof JobCounts>;

/** One recorded status change of a job. */
export const StatusChange = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  from: JobStatus.nullable(),
  to: JobStatus,
});
export type StatusChange = z.infer<typeof StatusChange>;

/**
 * What the job's WebSocket sends: a `snapshot` at once (with every status change so far in
 * `history`), then one `status` or `progress` message per change.
 */
export const JobEvent = z.object({
  seq: z.number().int().nonnegative(),
  type: z.enum(["snapshot", "status", "progress"]),
  at: z.string(),
  from: JobStatus.nullable(),
  job: JobResource,
  history: z.array(StatusChange).optional(),
});
export type JobEvent = z.infer<typeof JobEvent>;
