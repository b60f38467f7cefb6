import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertReport, DeadLetterList, ReplayOutcome, RunnerHealth } from "../../contracts";
import { TALK_SENTENCES } from "../support/media-fixtures";
import { characterErrorRate, wordErrorRate } from "../support/text-metrics";
import { type E2eStack, STACK_WORK_MS, startE2eStack } from "./stack";

/**
 * Fault drills against the stack as `npm run dev` runs it: faults are real (a killed runner
 * process, crashing engine runs, a corrupt upload) and every job must still end exactly once,
 * with complete results, within its budget. Retries are made fast for the drills.
 */
let stack: E2eStack;
beforeAll(async () => {
  stack = await startE2eStack({
    vars: {
      RETRY_POLICY: JSON.stringify({
        transient: { base_seconds: 1, cap_seconds: 2 },
        // A runner that takes no connection: its 10 deliveries span about 17 s, longer than a restart.
        rate_limited: { base_seconds: 2, cap_seconds: 4 },
      }),
    },
  });
});
afterAll(() => stack?.stop());

const LINES = ["Drills make failures boring", "every job ends exactly once"];

async function firing(admin: Record<string, string>, name: string, scope: string | null = null) {
  const report = AlertReport.parse(await (await fetch(`${stack.url}/v1/admin/alerts`, { headers: admin })).json());
  return report.alerts.find((a) => a.name === name && a.scope === scope)?.firing;
}

async function runnerUp() {
  await expect
    .poll(async () => (await fetch(`${stack.runnerUrl}/healthz`).catch(() => null))?.ok ?? false, {
      timeout: STACK_WORK_MS,
    })
    .toBe(true);
}

describe("fault drills", () => {
  it("a runner killed (SIGKILL) mid-job: the supervisor starts it again, the job is retried and succeeds once, with its whole transcript", async () => {
    const mp3 = await stack.fixtures.talk("k-talk", 4);

    let killed: Promise<void> | null = null;
    const { job, events } = await stack.runToEnd(mp3, "talk.mp3", (event) => {
      if (!killed && event.job.status === "processing" && event.job.progress?.stage === "transcribe") {
        killed = stack.crashRunner();
      }
    });
    expect(killed, "the job never reached transcription").not.toBeNull();
    expect(stack.logs.join("\n")).toMatch(/\[supervisor\] runner exited unexpectedly \(SIGKILL\); starting it again/);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    expect(job.attempts).toBeLessThanOrEqual(5);
    const statuses = events.filter((e) => e.type === "status").map((e) => e.job.status);
    expect(statuses.filter((s) => s === "succeeded")).toHaveLength(1);
    expect(statuses).toContain("queued"); // the retry is visible to the user
    const text = await (await stack.result(job.id, "txt")).text();
    expect(wordErrorRate(Array(4).fill(TALK_SENTENCES.join(" ")).join(" "), text)).toBeLessThan(0.35);
    await expect.poll(async () => (await fetch(`${stack.url}/readyz`)).status, { timeout: STACK_WORK_MS }).toBe(200);
  });

  it("an engine that crashes twice: two retries with backoff, then success", async () => {
    await stack.stopRunner();
    stack.startRunner({ RUNNER_INJECT_OCR_CRASHES: "2" });
    await runnerUp();
    const png = await stack.fixtures.textImage("drill.png", LINES);
    const { job, events } = await stack.runToEnd(png, "drill.png");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.attempts).toBe(3);
    const changes = events.flatMap((e) => (e.type === "status" ? [`${e.from}→${e.job.status}`] : []));
    expect(changes.filter((c) => c === "processing→queued")).toHaveLength(2);
    expect(characterErrorRate(LINES.join("\n"), await (await stack.result(job.id, "txt")).text())).toBeLessThan(0.05);
    await stack.stopRunner();
    stack.startRunner();
    await runnerUp();
  });

  it("a corrupt upload fails at once with its input code, without retries", async () => {
    // The first 300 bytes of a real PNG: accepted at upload (it starts like a PNG), refused by the decoder.
    const whole = await readFile(await stack.fixtures.textImage("whole.png", LINES));
    const png = join(stack.work, "poison.png");
    await writeFile(png, whole.subarray(0, 300));
    const { job } = await stack.runToEnd(png, "poison.png");
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("media_corrupt");
    expect(job.attempts).toBe(1);
  });

  it("runner down: readiness says so, metrics show the retries, and jobs finish when it returns", async () => {
    const admin = { authorization: `Bearer ${stack.createKey("ops-drill@example.test", true)}` };
    const retries = async () =>
      (
        (await (await fetch(`${stack.url}/v1/admin/metrics?window_s=3600`, { headers: admin })).json()) as {
          kinds: { ocr: { retries: number; retries_by_code: Record<string, number> } };
        }
      ).kinds.ocr;
    const before = await retries();
    expect(await firing(admin, "dependency_down")).toBe(false);
    await stack.stopRunner();
    await expect
      .poll(
        async () => {
          const res = await fetch(`${stack.url}/readyz`);
          const body = (await res.json()) as { checks: { runner: { ok: boolean } } };
          return res.status === 503 && !body.checks.runner.ok;
        },
        { timeout: STACK_WORK_MS },
      )
      .toBe(true);
    expect(await firing(admin, "dependency_down")).toBe(true);
    // The scheduled upkeep (run on demand locally) logs the firing alert for log-based alerting.
    expect((await fetch(`${stack.url}/cdn-cgi/local/scheduled`)).status).toBe(200);
    await expect
      .poll(() => stack.logs.some((line) => line.includes('"msg":"alert firing"') && line.includes("dependency_down")))
      .toBe(true);

    const png = await stack.fixtures.textImage("down.png", LINES);
    const submitted = await stack.submit(png, "down.png");
    const { id } = (await submitted.json()) as { id: string };
    await expect
      .poll(async () => (await retries()).retries_by_code.runner_unavailable ?? 0, { timeout: STACK_WORK_MS })
      .toBeGreaterThan(before.retries_by_code.runner_unavailable ?? 0);

    stack.startRunner();
    await runnerUp();
    await expect.poll(async () => (await stack.getJob(id)).status, { timeout: STACK_WORK_MS }).toBe("succeeded");
    await expect.poll(async () => (await fetch(`${stack.url}/readyz`)).status, { timeout: STACK_WORK_MS }).toBe(200);
    expect(await firing(admin, "dependency_down")).toBe(false);
  });

  it("runbook 'a bad deploy': a broken runner fails jobs, the failure alert fires, rollback and replay recover them", async () => {
    const admin = { authorization: `Bearer ${stack.createKey("deploy-drill@example.test", true)}` };
    // The bad release: every OCR run crashes.
    await stack.stopRunner();
    stack.startRunner({ RUNNER_INJECT_OCR_CRASHES: "1000" });
    await runnerUp();
    const png = await stack.fixtures.textImage("deploy.png", LINES);
    const failed = await Promise.all(Array.from({ length: 5 }, () => stack.runToEnd(png, "deploy.png")));
    for (const { job } of failed) expect(job.error?.code).toBe("retries_exhausted");
    expect(await firing(admin, "failure_ratio", "ocr")).toBe(true);

    // Roll back (docs/runbooks/bad-deploy.md): the previous runner, then replay what failed meanwhile.
    await stack.stopRunner();
    stack.startRunner();
    await runnerUp();
    for (const { job } of failed) {
      const res = await fetch(`${stack.url}/v1/admin/dead-letters/replay`, {
        method: "POST",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ job_id: job.id }),
      });
      expect(ReplayOutcome.parse(await res.json()).replayed).toEqual([job.id]);
    }
    for (const { job } of failed) {
      await expect.poll(async () => (await stack.getJob(job.id)).status, { timeout: STACK_WORK_MS }).toBe("succeeded");
    }
  });

  it("the worker (workerd) killed: the supervisor sees the API hang, starts it again, and nothing stored is lost", async () => {
    const png = await stack.fixtures.textImage("before.png", LINES);
    const { job: before } = await stack.runToEnd(png, "before.png");
    expect(before.status).toBe("succeeded");
    const group = stack.api.child?.pid;
    if (!group) throw new Error("the API is not running");
    // wrangler starts a new workerd when its workerd dies, but then leaves every request hanging.
    execFileSync("pkill", ["-KILL", "-g", String(group), "workerd"]);
    await expect
      .poll(() => stack.logs.some((line) => line.startsWith("[supervisor] api ")), { timeout: 3 * STACK_WORK_MS })
      .toBe(true);
    await expect
      .poll(async () => (await fetch(`${stack.url}/readyz`).catch(() => null))?.status, {
        timeout: 3 * STACK_WORK_MS,
      })
      .toBe(200);
    expect((await stack.getJob(before.id)).status).toBe("succeeded");
    const { job: after } = await stack.runToEnd(png, "after.png");
    expect(after.status, JSON.stringify(after.error)).toBe("succeeded");
    expect(characterErrorRate(LINES.join("\n"), await (await stack.result(after.id, "txt")).text())).toBeLessThan(0.05);
  });

  it("leaves nothing behind: no job non-terminal, no dead letters, the runner idle", async () => {
    const list = await (await fetch(`${stack.url}/v1/jobs?limit=100`, { headers: stack.auth })).json();
    for (const job of (list as { data: Array<{ status: string }> }).data) {
      expect(["succeeded", "failed", "canceled"]).toContain(job.status);
    }
    const admin = { authorization: `Bearer ${stack.createKey("drills@example.test", true)}` };
    const dead = DeadLetterList.parse(
      await (await fetch(`${stack.url}/v1/admin/dead-letters`, { headers: admin })).json(),
    );
    expect(dead.data).toEqual([]);
    const health = RunnerHealth.parse(await (await fetch(`${stack.runnerUrl}/healthz`)).json());
    expect(health.busy).toBe(0);
  });
});
