import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isTerminal, JobResource, RunnerHealth, Usage } from "../../contracts";
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

describe("one user's own limits", () => {
  it("are set by an operator with `npm run limits`, by email, and let that user's larger document through", async () => {
    const adminKey = stack.createKey("limits-admin@example.test", true);
    const mine = { authorization: `Bearer ${stack.createKey("bigger@example.test")}` };
    const limits = (args: string[]) =>
      spawnSync(resolve("node_modules/.bin/tsx"), ["scripts/limits.ts", ...args], {
        encoding: "utf8",
        env: { ...process.env, VERBATIM_URL: stack.url, VERBATIM_API_KEY: adminKey },
      });
    const set = limits(["set", "bigger@example.test", "max_pages_per_job=3"]);
    expect(set.status, set.stderr).toBe(0);
    expect(set.stdout).toMatch(/^max_pages_per_job\s+3\s+own$/m);
    expect(set.stdout).toMatch(/^max_minutes_per_job\s+0\.1\s+everyone's$/m);

    const pages = await Promise.all(
      [1, 2, 3].map((n) => stack.fixtures.textImage(`own${n}.png`, [`Own limits page ${n} of three`])),
    );
    const form = new FormData();
    form.append("file", new File([readFileSync(await stack.fixtures.scannedPdf("own.pdf", pages))], "own.pdf"));
    const res = await fetch(`${stack.url}/v1/jobs`, { method: "POST", body: form, headers: mine });
    expect(res.status).toBe(202);
    const { id } = JobResource.parse(await res.json());
    await expect.poll(async () => isTerminal((await stack.getJobAs(id, mine)).status), { timeout: 60_000 }).toBe(true);
    expect((await stack.getJobAs(id, mine)).status).toBe("succeeded");

    const cleared = limits(["clear", "bigger@example.test"]);
    expect(cleared.status, cleared.stderr).toBe(0);
    expect(cleared.stdout).toMatch(/^max_pages_per_job\s+2\s+everyone's$/m);
    // Refused: an unknown limit or value (exit 2), an unknown user or a caller who is not an admin (exit 1).
    expect(limits(["set", "bigger@example.test", "max_pages=3"]).status).toBe(2);
    expect(limits(["set", "bigger@example.test", "daily_jobs=0"]).status).toBe(2);
    expect(limits(["set", "bigger@example.test", "daily_jobs=1=2"]).status).toBe(2);
    expect(limits(["show", "bigger@example.test", "--help"]).status).toBe(2);
    expect(limits(["show", "nobody@example.test"]).status).toBe(1);
    const refused = spawnSync(resolve("node_modules/.bin/tsx"), ["scripts/limits.ts", "show", "bigger@example.test"], {
      encoding: "utf8",
      env: { ...process.env, VERBATIM_URL: stack.url, VERBATIM_API_KEY: stack.key },
    });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("forbidden");
  });
});
