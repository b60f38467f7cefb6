import { describe, expect, it } from "vitest";
import { retryDelaySeconds } from "./retry-policy";

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
    }
  });

  it("is exactly the ceiling for random() = 1 and 0 for random() = 0", () => {
    expect(retryDelaySeconds(3, 5, 300, () => 1)).toBe(20);
    expect(retryDelaySeconds(3, 5, 300, () => 0)).toBe(0);
    expect(retryDelaySeconds(30, 5, 300, () => 1)).toBe(300);
  });
});
