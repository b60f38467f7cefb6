import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_POLICY, RetryPolicy } from "../contracts/retry-policy";
import { decideRetry, retryDelaySeconds } from "./retry-policy";

describe("retryDelaySeconds (full jitter)", () => {
  it("stays within [0, min(cap, base·2^(attempt-1))] and spreads over the range", () => {
    for (const attempt of [1, 2, 3, 4, 8, 20]) {
      const ceiling = Math.min(300, 5 * 2 ** (attempt - 1));
      const samples = Array.from({ length: 2000 }, () => retryDelaySeconds(attempt));
      expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...samples)).toBeLessThanOrEqual(ceiling);
      const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
      expect(mean).toBeGreaterThan(ceiling * 0.4);
      expect(mean).toBeLessThan(ceiling * 0.6);
      // Spread: the lower and upper quarters of the range are both hit.
      expect(samples.some((s) => s <= ceiling * 0.25)).toBe(true);
      expect(samples.some((s) => s >= ceiling * 0.75)).toBe(true);
    }
  });

  it("is exactly the ceiling for random() = 1 and 0 for random() = 0", () => {
    expect(retryDelaySeconds(3, 5, 300, () => 1)).toBe(20);
    expect(retryDelaySeconds(3, 5, 300, () => 0)).toBe(0);
    expect(retryDelaySeconds(30, 5, 300, () => 1)).toBe(300);
  });
});

describe("RetryPolicy", () => {
  it("fills what the configuration leaves out with the defaults", () => {
    const policy = RetryPolicy.parse({ transient: { max_attempts: 2 } });
    expect(policy.transient).toEqual({ ...DEFAULT_RETRY_POLICY.transient, max_attempts: 2 });
    expect(policy.rate_limited).toEqual(DEFAULT_RETRY_POLICY.rate_limited);
  });

  it("refuses unknown classes and bad numbers", () => {
    expect(RetryPolicy.safeParse({ flaky: {} }).success).toBe(false);
    expect(RetryPolicy.safeParse({ transient: { max_attempts: 0 } }).success).toBe(false);
  });
});

describe("decideRetry", () => {
  const policy = RetryPolicy.parse({});
  const budget = { maxEngineSeconds: 3600 };
  const usage = { delivery: 1, engineSeconds: 10 };

  it("fails input and permanent errors at once", () => {
    for (const errorClass of ["input", "permanent"] as const) {
      expect(decideRetry({ errorClass }, usage, policy, budget)).toEqual({ action: "fail", reason: "not_retryable" });
    }
  });

  it("retries transient errors with backoff until the class's attempts are used", () => {
    const decision = decideRetry({ errorClass: "transient" }, { ...usage, delivery: 3 }, policy, budget, () => 1);
    expect(decision).toEqual({ action: "retry", delaySeconds: 20 });
    expect(decideRetry({ errorClass: "transient" }, { ...usage, delivery: 5 }, policy, budget)).toEqual({
      action: "fail",
      reason: "retries_exhausted",
    });
    // Rate limits get more attempts, and never come back sooner than asked.
    expect(decideRetry({ errorClass: "rate_limited" }, { ...usage, delivery: 5 }, policy, budget).action).toBe("retry");
    const asked = decideRetry({ errorClass: "rate_limited", retryAfterSeconds: 90 }, usage, policy, budget, () => 0);
    expect(asked).toEqual({ action: "retry", delaySeconds: 90 });
    const greedy = decideRetry(
      { errorClass: "rate_limited", retryAfterSeconds: 86_400 },
      usage,
      policy,
      budget,
      () => 0,
    );
    expect(greedy).toEqual({ action: "retry", delaySeconds: 600 });
  });

  it("stops at the job's engine-time budget whatever the class allows", () => {
    expect(decideRetry({ errorClass: "transient" }, { ...usage, engineSeconds: 3600 }, policy, budget)).toEqual({
      action: "fail",
      reason: "budget_exceeded",
    });
  });
});
