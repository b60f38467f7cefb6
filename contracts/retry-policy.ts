import { z } from "zod";

/**
 * What kind of failure a job met, which decides what happens next:
 * - `transient`: the engine crashed, timed out, or the runner was unreachable; may work next time.
 * - `rate_limited`: a busy runner or model asked us to come back later.
 * - `permanent`: a fault on our side that retrying cannot fix (e.g. the stored upload is missing).
 * - `input`: the file itself is the problem (corrupt, no content); the user must act.
 */
export const ErrorClass = z.enum(["transient", "rate_limited", "permanent", "input"]);
export type ErrorClass = z.infer<typeof ErrorClass>;

const Rule = z.object({
  /** Deliveries of one job's message (the first try counts) before the job fails `retries_exhausted`. */
  max_attempts: z.number().int().min(1),
  base_seconds: z.number().nonnegative(),
  cap_seconds: z.number().nonnegative(),
});

/**
 * Defaults; the `RETRY_POLICY` variable (JSON) overrides any part of it. The consumers apply it
 * (consumers/retry-policy.ts); the worker's configuration reads it.
 */
export const DEFAULT_RETRY_POLICY = {
  transient: { max_attempts: 5, base_seconds: 5, cap_seconds: 300 },
  rate_limited: { max_attempts: 10, base_seconds: 15, cap_seconds: 600 },
  permanent: { max_attempts: 1, base_seconds: 0, cap_seconds: 0 },
  input: { max_attempts: 1, base_seconds: 0, cap_seconds: 0 },
} as const satisfies Record<ErrorClass, z.infer<typeof Rule>>;

export const RetryPolicy = z
  .object({
    transient: Rule.partial().optional(),
    rate_limited: Rule.partial().optional(),
    permanent: Rule.partial().optional(),
    input: Rule.partial().optional(),
  })
  .strict()
  .transform(
    (given) =>
      Object.fromEntries(
        ErrorClass.options.map((c) => [c, Rule.parse({ ...DEFAULT_RETRY_POLICY[c], ...given[c] })]),
      ) as Record<ErrorClass, z.infer<typeof Rule>>,
  );
export type RetryPolicy = z.output<typeof RetryPolicy>;
