import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RunnerHealth, Usage } from "../../contracts";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * Per-job limits against the stack as `npm run dev` runs it, set low (USER_LIMITS): two pages and
 * six seconds per job. A file over a limit fails with `limit_exceeded` as soon as the runner has
 * read its size, without retries, and the runner stops working on it.
 */
let stack: E2eStack;
beforeAll(async () => {
  stack = await startE2eStack({
    vars: { USER_LIMITS: JSON.stringify({ max_pages_per_job: 2, max_minutes_per_job: 0.1 }) },
  });
});
afterAll(() => stack?.stop());

describe("per-job limits", () => {
  it("fails a document with more pages than allowed, at once, naming the limit", async () => {
    const pages = await Promise.all(
      [1, 2, 3].map((n) => stack.fixtures.textImage(`l${n}.png`, [`Limits page ${n} of three`])),
    );
    const pdf = await stack.fixtures.scannedPdf("three.pdf", pages);
    const { job } = await stack.runToEnd(pdf, "three.pdf");
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("limit_exceeded");
    expect(job.error?.message).toContain("at most 2");
    expect(job.attempts).toBe(1);
    const health = RunnerHealth.parse(await (await fetch(`${stack.runnerUrl}/healthz`)).json());
    expect(health.busy).toBe(0);
  });

  it("fails a recording longer than allowed, and lets a file within the limits through", async () => {
    const mp3 = await stack.fixtures.talk("long-talk", 1);
    const { job } = await stack.runToEnd(mp3, "talk.mp3");
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("limit_exceeded");
    expect(job.error?.message).toContain("minutes");

    const png = await stack.fixtures.textImage("small.png", ["Within the limits"]);
    expect((await stack.runToEnd(png, "small.png")).job.status).toBe("succeeded");
    const usage = Usage.parse(await (await fetch(`${stack.url}/v1/usage`, { headers: stack.auth })).json());
    expect(usage.limits).toMatchObject({ max_pages_per_job: 2, max_minutes_per_job: 0.1 });
    expect(usage.day.jobs).toBe(3);
  });
});
