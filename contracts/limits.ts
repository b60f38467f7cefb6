import { z } from "zod";
import { Estimates } from "./estimates";

/**
 * The limits of one user's use; any subset of them is a set of overrides (USER_LIMITS for everyone,
 * or an admin's for one user). Daily figures count the jobs the user submitted in the last 24 hours,
 * whatever became of them.
 */
export const LimitOverrides = z
  .object({
    /** Jobs queued or processing at once; more are refused with 429 until one ends. */
    max_concurrent_jobs: z.number().int().positive(),
    daily_jobs: z.number().int().positive(),
    daily_pages: z.number().int().positive(),
    daily_audio_minutes: z.number().positive(),
    /** One job's size: a longer document or recording fails with `limit_exceeded`. */
    max_pages_per_job: z.number().int().positive(),
    max_minutes_per_job: z.number().positive(),
    /** Multipart uploads begun and not yet completed (nor expired), and the bytes they announce. */
    max_open_uploads: z.number().int().positive(),
    max_open_upload_bytes: z.number().int().positive(),
    /** API keys not revoked. */
    max_api_keys: z.number().int().positive(),
  })
  .partial()
  .strict();
export type LimitOverrides = z.infer<typeof LimitOverrides>;

/** What one user may use: DEFAULT_LIMITS, then USER_LIMITS, then the user's own overrides. */
export const UserLimits = LimitOverrides.required();
export type UserLimits = z.infer<typeof UserLimits>;

export const DEFAULT_LIMITS: UserLimits = {
  max_concurrent_jobs: 20,
  daily_jobs: 2000,
  daily_pages: 5000,
  daily_audio_minutes: 1440,
  max_pages_per_job: 2000,
  max_minutes_per_job: 600,
  max_open_uploads: 20,
  max_open_upload_bytes: 20 * 1024 ** 3,
  max_api_keys: 100,
};

/**
 * `/v1/admin/users/{user_id}/limits`: the overrides an admin set for one user, and the limits that
 * apply to that user with them.
 */
export const UserLimitsSetting = z.object({
  user_id: z.string(),
  overrides: LimitOverrides,
  limits: UserLimits,
  updated_at: z.string().nullable(),
});
export type UserLimitsSetting = z.infer<typeof UserLimitsSetting>;

const Rate = z.object({ seconds_per_unit: z.number().nonnegative(), jobs: z.number().int().positive() }).nullable();

/**
 * Measured processing time per page and per audio minute (recent succeeded jobs of all users), and
 * what estimates of a new job's time are made from (contracts/estimates).
 */
export const Throughput = z.object({
  window_s: z.number().int(),
  ocr_per_page: Rate,
  av_per_minute: Rate,
  estimates: Estimates,
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
  /** Multipart uploads begun and not completed nor expired, and the bytes they announce. */
  open_uploads: z.object({ count: z.number().int(), bytes: z.number().int() }),
  /** API keys not revoked. */
  api_keys: z.number().int(),
  day: z.object({
    since: z.string(),
    jobs: z.number().int(),
    pages: z.number().int(),
    audio_minutes: z.number(),
  }),
});
export type Usage = z.infer<typeof Usage>;
