import { z } from "zod";

/**
 * What one user may use (USER_LIMITS overrides any of these). Daily figures count the jobs the
 * user submitted in the last 24 hours, whatever became of them.
 */
export const UserLimits = z
  .object({
    /** Jobs queued or processing at once; more are refused with 429 until one ends. */
    max_concurrent_jobs: z.number().int().positive().default(20),
    daily_jobs: z.number().int().positive().default(2000),
    daily_pages: z.number().int().positive().default(5000),
    daily_audio_minutes: z.number().positive().default(1440),
    /** One job's size: a longer document or recording fails with `limit_exceeded`. */
    max_pages_per_job: z.number().int().positive().default(2000),
    max_minutes_per_job: z.number().positive().default(600),
  })
  .strict();
export type UserLimits = z.infer<typeof UserLimits>;

const Rate = z.object({ seconds_per_unit: z.number().nonnegative(), jobs: z.number().int().positive() }).nullable();

/** Measured processing time per page and per audio minute (recent succeeded jobs of all users). */
export const Throughput = z.object({
  window_s: z.number().int(),
  ocr_per_page: Rate,
  av_per_minute: Rate,
});
export type Throughput = z.infer<typeof Throughput>;

/** How large an upload may be: one request (POST /v1/jobs), or in parts (POST /v1/uploads). */
export const UploadLimits = z.object({
  max_direct_bytes: z.number().int().positive(),
  max_multipart_bytes: z.number().int().positive(),
  part_bytes: z.number().int().positive(),
});
export type UploadLimits = z.infer<typeof UploadLimits>;

/**
 * `GET /v1/usage`: the caller's limits and what it has used of them, the upload size limits, and
 * the measured throughput (for estimates before an upload).
 */
export const Usage = z.object({
  limits: UserLimits,
  uploads: UploadLimits,
  throughput: Throughput,
  concurrent_jobs: z.number().int(),
  day: z.object({
    since: z.string(),
    jobs: z.number().int(),
    pages: z.number().int(),
    audio_minutes: z.number(),
  }),
});
export type Usage = z.infer<typeof Usage>;
