import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job } from "../../contracts";
import { coordinatorFor } from "../services/coordinator";
import { createQueuedJob, createUserWithKey } from "../test/helpers";

/** Moves the job's last sign of life `seconds` into the past, as if nothing had happened since. */
async function age(jobId: string, seconds: number) {
  await runInDurableObject(coordinatorFor(env, jobId), async (_instance, state) => {
    const job = (await state.storage.get<Job>("job")) as Job;
    await state.storage.put("job", { ...job, updated_at: new Date(Date.now() - seconds * 1000).toISOString() });
  });
}

async function newJob() {
  const { userId } = await createUserWithKey();
  return createQueuedJob(userId);
}

describe("work leases", () => {
  it("gives each claim an attempt number; a duplicate claim of a live job is busy", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    const first = await coordinator.claim();
    expect(first).toMatchObject({ ok: true, attempt: 1 });
    expect(await coordinator.claim()).toMatchObject({ ok: false, reason: "busy" });
  });

  it("lets a new claim take over a silent job and fences the old holder out", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim();
    await age(job.id, 601);
    const second = await coordinator.claim();
    expect(second).toMatchObject({ ok: true, attempt: 2 });
    // The first holder wakes up: its progress and its result no longer count.
    const progress = { done: 1, total: 1, unit: "pages" as const, stage: "ocr" };
    expect(await coordinator.report({ progress }, 1)).toMatchObject({ ok: false, code: "stale_attempt" });
    expect(await coordinator.transition("succeeded", {}, 1)).toMatchObject({ ok: false, code: "stale_attempt" });
    expect((await coordinator.get())?.status).toBe("processing");
    expect(await coordinator.transition("succeeded", {}, 2)).toMatchObject({ ok: true });
  });

  it("refuses claims on finished jobs", async () => {
    const job = await newJob();
    await coordinatorFor(env, job.id).transition("canceled");
    expect(await coordinatorFor(env, job.id).claim()).toMatchObject({ ok: false, reason: "finished" });
  });
});

describe("watchdog alarm", () => {
  it("requeues a processing job whose holder went silent, then fails it after the recovery budget", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim();

    // Not silent long enough: the alarm only re-arms.
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    expect((await coordinator.get())?.status).toBe("processing");

    for (let recovery = 1; recovery <= 3; recovery++) {
      await age(job.id, 601);
      expect(await runDurableObjectAlarm(coordinator)).toBe(true);
      const requeued = await coordinator.get();
      expect(requeued).toMatchObject({ status: "queued", error: { code: "job_stalled" } });
      expect((await coordinator.claim()).ok).toBe(true);
    }
    await age(job.id, 601);
    await runDurableObjectAlarm(coordinator);
    const failed = await coordinator.get();
    expect(failed).toMatchObject({ status: "failed", error: { code: "job_stalled" } });
    expect(failed?.error?.message).toMatch(/gave up after 3 recoveries/);
    // Terminal: no alarm left.
    expect(await runDurableObjectAlarm(coordinator)).toBe(false);
  });

  it("sends the work of a queued job again when nobody picked it up", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await age(job.id, 901);
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    const after = await coordinator.get();
    expect(after?.status).toBe("queued");
    expect(Date.parse(after?.updated_at ?? "")).toBeGreaterThan(Date.now() - 5000);
    const recoveries = await runInDurableObject(coordinator, (_i, state) => state.storage.get<number>("recoveries"));
    expect(recoveries).toBe(1);
    // The re-sent message reaches the consumer (which claims the job, finds no runner here, and retries).
    await expect.poll(async () => (await coordinator.get())?.attempts, { timeout: 5000 }).toBe(1);
  });
});
