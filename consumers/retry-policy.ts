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

/** Defaults; the `RETRY_POLICY` variable (JSON) overrides any part of it. */
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

/** Exponential backoff with full jitter: random(0, min(cap, base·2^(attempt-1))) seconds. */
export function retryDelaySeconds(attempt: number, baseSeconds = 5, capSeconds = 300, random = Math.random): number {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/** The job's engine-time budget (its attempt budget is enforced where attempts are taken: the coordinator's claim). */
export type Budget = { maxEngineSeconds: number };

export type RetryDecision =
  | { action: "retry"; delaySeconds: number }
  | { action: "fail"; reason: "not_retryable" | "retries_exhausted" | "budget_exceeded" };

/**
 * What to do after a failed attempt. `delivery` is this message's delivery count (1 on the first
 * try); `engineSeconds` is what the job has used across all its work so far.
 */
export function decideRetry(
  failure: { errorClass: ErrorClass; retryAfterSeconds?: number },
  usage: { delivery: number; engineSeconds: number },
  policy: RetryPolicy,
  budget: Budget,
  random = Math.random,
): RetryDecision {
  const rule = policy[failure.errorClass];
  if (failure.errorClass === "permanent" || failure.errorClass === "input")
    return { action: "fail", reason: "not_retryable" };
  if (usage.engineSeconds >= budget.maxEngineSeconds) {
    return { action: "fail", reason: "budget_exceeded" };
  }
  if (usage.delivery >= rule.max_attempts) return { action: "fail", reason: "retries_exhausted" };
  const jittered = retryDelaySeconds(usage.delivery, rule.base_seconds, rule.cap_seconds, random);
  // A service's Retry-After is honoured up to the class's cap, so one answer cannot park the job.
  const asked = Math.min(failure.retryAfterSeconds ?? 0, rule.cap_seconds);
  return { action: "retry", delaySeconds: Math.max(jittered, asked) };
}
