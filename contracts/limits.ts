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

/** `GET /v1/usage`: the caller's limits and what it has used of them. */
export const Usage = z.object({
  limits: UserLimits,
  concurrent_jobs: z.number().int(),
  day: z.object({
    since: z.string(),
    jobs: z.number().int(),
    pages: z.number().int(),
    audio_minutes: z.number(),
  }),
});
export type Usage = z.infer<typeof Usage>;
