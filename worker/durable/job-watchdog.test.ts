import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Job, WorkMessage } from "../../contracts";
import { coordinatorFor } from "../services/coordinator";
import { captureSends, createQueuedJob, createUserWithKey, untilAnnounced } from "../test/helpers";

/** Moves the job's last sign of life `seconds` into the past, as if nothing had happened since. */
async function age(jobId: string, seconds: number, key: "job" | "queued_since" = "job") {
  await runInDurableObject(coordinatorFor(env, jobId), async (_instance, state) => {
    const job = (await state.storage.get<Job>("job")) as Job;
    const then = Date.now() - seconds * 1000;
    if (key === "job") await state.storage.put("job", { ...job, updated_at: new Date(then).toISOString() });
    else await state.storage.put("queued_since", then);
  });
}

async function newJob() {
  const { userId } = await createUserWithKey();
  return createQueuedJob(userId);
}

describe("work leases", () => {
  it("gives each claim an attempt number; another message's claim of a live job is busy", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    expect(await coordinator.claim("message-a")).toMatchObject({ ok: true, attempt: 1 });
    expect(await coordinator.claim("message-b")).toMatchObject({ ok: false, reason: "busy" });
  });

  it("lets the same message take over at once when it is redelivered (its first delivery died)", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim("message-a");
    expect(await coordinator.claim("message-a")).toMatchObject({ ok: true, attempt: 2 });
    // The takeover reaches the listing's mirror too.
    const row = await env.DB.prepare("SELECT snapshot FROM jobs WHERE id = ?")
      .bind(job.id)
      .first<{ snapshot: string }>();
    expect(JSON.parse(row?.snapshot ?? "{}").attempts).toBe(2);
  });

  it("lets any claim take over a silent job and fences the old holder out", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim("message-a");
    await age(job.id, 601);
    expect(await coordinator.claim("message-b")).toMatchObject({ ok: true, attempt: 2 });
    // The first holder wakes up: its progress and its result no longer count.
    const progress = { done: 1, total: 1, unit: "pages" as const, stage: "ocr" };
    expect(await coordinator.report({ progress }, 1)).toMatchObject({ ok: false, code: "stale_attempt" });
    expect(await coordinator.transition("succeeded", {}, 1)).toMatchObject({ ok: false, code: "stale_attempt" });
    expect((await coordinator.get())?.status).toBe("processing");
    expect(await coordinator.transition("succeeded", {}, 2)).toMatchObject({ ok: true });
  });

  it("gives an attempt no say once the watchdog requeued its job", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim("m-a");
    await age(job.id, 601);
    await runDurableObjectAlarm(coordinator);
    expect((await coordinator.get())?.status).toBe("queued");
    const late = await coordinator.transition("failed", { error: { code: "media_corrupt", message: "x" } }, 1);
    expect(late).toMatchObject({ ok: false, code: "stale_attempt" });
    expect((await coordinator.get())?.status).toBe("queued");
  });

  it("refuses claims on finished jobs", async () => {
    const job = await newJob();
    await coordinatorFor(env, job.id).transition("canceled");
    expect(await coordinatorFor(env, job.id).claim("m")).toMatchObject({ ok: false, reason: "finished" });
  });

  it("lets exactly one of concurrent claims and of concurrent endings win", async () => {
    for (let round = 0; round < 5; round++) {
      const job = await newJob();
      const coordinator = coordinatorFor(env, job.id);
      const claims = await Promise.all(["a", "b", "c", "d"].map((m) => coordinator.claim(`message-${m}`)));
      expect(claims.filter((c) => c.ok)).toHaveLength(1);
      const attempt = (claims.find((c) => c.ok) as { attempt: number }).attempt;
      const endings = await Promise.all([
        coordinator.transition("succeeded", {}, attempt),
        coordinator.transition("canceled"),
        coordinator.transition("failed", { error: { code: "engine_failed", message: "x" } }, attempt),
      ]);
      expect(endings.filter((e) => e.ok)).toHaveLength(1);
      const history = await coordinator.history();
      expect(history.filter((h) => h.from === "processing")).toHaveLength(1);
      expect(history.filter((h) => h.to === "processing")).toHaveLength(1);
    }
  });
});

describe("watchdog alarm", () => {
  it("requeues a processing job whose holder went silent, then fails it after the recovery budget", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim("m-0");

    // Not silent long enough: the alarm only re-arms.
    expect(await runDurableObjectAlarm(coordinator)).toBe(true);
    expect((await coordinator.get())?.status).toBe("processing");

    const sent = captureSends(env.OCR_QUEUE);
    for (let recovery = 1; recovery <= 3; recovery++) {
      await age(job.id, 601);
      expect(await runDurableObjectAlarm(coordinator)).toBe(true);
      expect(await coordinator.get()).toMatchObject({ status: "queued", error: { code: "job_stalled" } });
      expect(sent().map((body) => WorkMessage.parse(body).job_id)).toEqual(Array(recovery).fill(job.id)); // sent again
      expect((await coordinator.claim(`m-${recovery}`)).ok).toBe(true);
    }
    await age(job.id, 601);
    await runDurableObjectAlarm(coordinator);
    const failed = await coordinator.get();
    expect(failed).toMatchObject({ status: "failed", error: { code: "job_stalled" } });
    expect(failed?.error?.message).toMatch(/gave up after 3 recoveries/);
    // Terminal: once the webhook event is sent, no alarm is left.
    await untilAnnounced(job.id);
  });

  it("sends the work of a waiting queued job again, backing off, without counting it as a recovery", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    const sent = captureSends(env.OCR_QUEUE);
    for (let resend = 1; resend <= 5; resend++) {
      const wait = 900 * 2 ** Math.min(resend - 1, 4);
      // Quiet for a little less than the backed-off wait: nothing is sent yet.
      await age(job.id, wait - 60);
      await runDurableObjectAlarm(coordinator);
      expect(sent()).toHaveLength(resend - 1);
      await age(job.id, wait + 1);
      expect(await runDurableObjectAlarm(coordinator)).toBe(true);
      expect(sent().map((body) => WorkMessage.parse(body).job_id)).toEqual(Array(resend).fill(job.id));
      expect((await coordinator.get())?.status).toBe("queued");
    }
  });

  it("fails a job that waited in the queue longer than JOB_MAX_QUEUED_SECONDS", async () => {
    const job = await newJob();
    const coordinator = coordinatorFor(env, job.id);
    await age(job.id, 86_401, "queued_since");
    await age(job.id, 901);
    await runDurableObjectAlarm(coordinator);
    const failed = await coordinator.get();
    expect(failed).toMatchObject({ status: "failed", error: { code: "job_stalled" } });
    expect(failed?.error?.message).toMatch(/waited \d+ s in the queue/);
  });
});
