import type { ErrorClass, RetryPolicy } from "../contracts/retry-policy";

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
