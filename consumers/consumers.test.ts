import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { ulid } from "ulid";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { AvResult, type Job, type PartRange, type WorkMessage } from "../contracts";
import { partResultKey, resultKey, sourceKey } from "../contracts/storage";
import worker from "../worker/index";
import { coordinatorFor } from "../worker/services/coordinator";
import { createQueuedJob, createUserWithKey, TINY_PNG } from "../worker/test/helpers";

async function queuedJob(): Promise<{ job: Job; message: WorkMessage }> {
  const { userId } = await createUserWithKey();
  const job = await createQueuedJob(userId);
  const id = job.id;
  const now = job.created_at;
  await env.FILES.put(sourceKey(id), TINY_PNG);
  const message: WorkMessage = {
    v: 1,
    job_id: id,
    user_id: userId,
    kind: "ocr",
    object_key: sourceKey(id),
    mime: "image/png",
    options: { language: "eng", rotate_pages: true, deskew: true },
    request_id: "req-consumer",
    enqueued_at: now,
  };
  return { job, message };
}

async function deliver(queue: string, body: unknown, attempts = 1) {
  const batch = createMessageBatch(queue, [{ id: `msg-${ulid()}`, timestamp: Date.now(), attempts, body }]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  return getQueueResult(batch, ctx);
}

describe("extraction consumer", () => {
  it("puts the job back in the queue with a delay when the runner is unreachable", async () => {
    const { job, message } = await queuedJob();
    const result = await deliver("verbatim-ocr", message);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages).toHaveLength(1);
    // Back-pressure's backoff: the first delay is at most rate_limited's base (15 s by default).
    expect(result.retryMessages[0]?.delaySeconds ?? 0).toBeLessThanOrEqual(15);
    const after = await coordinatorFor(env, job.id).get();
    expect(after).toMatchObject({ status: "queued", attempts: 1, error: { code: "runner_unavailable" } });
  });

  it("fails the job with retries_exhausted when the last allowed delivery fails too", async () => {
    const { job, message } = await queuedJob();
    // An unreachable runner is back-pressure (rate_limited), which gets 10 deliveries by default.
    const result = await deliver("verbatim-ocr", message, 10);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
    const after = await coordinatorFor(env, job.id).get();
    expect(after).toMatchObject({ status: "failed", error: { code: "retries_exhausted" } });
    expect(after?.error?.message).toContain("runner_unavailable");
  });

  it("fails the job with budget_exceeded at the claim once it used its attempts", async () => {
    const { userId } = await createUserWithKey();
    const job = await createQueuedJob(userId, { attempts: 8 });
    await env.FILES.put(sourceKey(job.id), TINY_PNG);
    const { message } = await queuedJob();
    const result = await deliver("verbatim-ocr", { ...message, job_id: job.id, object_key: sourceKey(job.id) });
    expect(result.explicitAcks).toHaveLength(1);
    const after = await coordinatorFor(env, job.id).get();
    expect(after).toMatchObject({ status: "failed", attempts: 8, error: { code: "budget_exceeded" } });
  });

  it("bounds deliveries that crash before deciding: the claim stops them at the budget", async () => {
    const { job, message } = await queuedJob();
    const coordinator = coordinatorFor(env, job.id);
    // The same message redelivered after each crash takes its lease over, one attempt each time.
    for (let delivery = 1; delivery <= 8; delivery++) expect((await coordinator.claim("crashing")).ok).toBe(true);
    expect(await coordinator.claim("crashing")).toMatchObject({ ok: false, reason: "finished" });
    expect(await coordinator.get()).toMatchObject({ status: "failed", error: { code: "budget_exceeded" } });
    expect(message.job_id).toBe(job.id);
  });

  it("does not charge a busy runner's refusals to the attempt budget", async () => {
    const { job } = await queuedJob();
    const coordinator = coordinatorFor(env, job.id);
    for (let refusal = 1; refusal <= 12; refusal++) {
      const claim = await coordinator.claim(`m-${refusal}`);
      expect(claim.ok).toBe(true);
      const attempt = (claim as { attempt: number }).attempt;
      const error = { code: "runner_unavailable" as const, message: "busy" };
      expect((await coordinator.transition("queued", { error, freeAttempt: true }, attempt)).ok).toBe(true);
    }
    expect((await coordinator.claim("m-last")).ok).toBe(true);
    expect((await coordinator.get())?.status).toBe("processing");
  });

  it("acknowledges a duplicate delivery while a live consumer holds the job", async () => {
    const { job, message } = await queuedJob();
    await coordinatorFor(env, job.id).claim("another-message");
    const result = await deliver("verbatim-ocr", message);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await coordinatorFor(env, job.id).get()).toMatchObject({ status: "processing", attempts: 1 });
  });

  it("acknowledges a message for a canceled job without touching it", async () => {
    const { job, message } = await queuedJob();
    await coordinatorFor(env, job.id).transition("canceled");
    const result = await deliver("verbatim-ocr", message);
    expect(result.explicitAcks).toHaveLength(1);
    expect((await coordinatorFor(env, job.id).get())?.status).toBe("canceled");
  });

  it("drops a malformed message (acknowledged, nothing retried)", async () => {
    const result = await deliver("verbatim-av", { hello: "world" });
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
  });

  it("fails the job when its source file is gone", async () => {
    const { job, message } = await queuedJob();
    await env.FILES.delete(message.object_key);
    const result = await deliver("verbatim-ocr", message);
    expect(result.explicitAcks).toHaveLength(1);
    expect(await coordinatorFor(env, job.id).get()).toMatchObject({
      status: "failed",
      error: { code: "internal_error" },
    });
  });
});

describe("dead-letter consumer", () => {
  it("fails a job still held by the message that died, and records a redelivered dead letter once", async () => {
    const { job, message } = await queuedJob();
    const id = `msg-${job.id}`;
    await coordinatorFor(env, job.id).claim(id); // its last delivery claimed the job, then crashed
    for (let delivery = 0; delivery < 2; delivery++) {
      const batch = createMessageBatch("verbatim-dlq", [{ id, timestamp: Date.now(), attempts: 11, body: message }]);
      const ctx = createExecutionContext();
      await worker.queue(batch, env);
      expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    }
    expect(await coordinatorFor(env, job.id).get()).toMatchObject({
      status: "failed",
      error: { code: "retries_exhausted" },
    });
    const rows = await env.DB.prepare("SELECT count(*) AS n FROM dead_letters WHERE job_id = ?").bind(job.id).first();
    expect(rows?.n).toBe(1);
  });

  it("leaves a job that a live consumer holds under another message", async () => {
    const { job, message } = await queuedJob();
    await coordinatorFor(env, job.id).claim("the-live-one");
    await deliver("verbatim-dlq", message, 11);
    expect((await coordinatorFor(env, job.id).get())?.status).toBe("processing");
  });

  it("fails the job with retries_exhausted, naming the last error, and keeps the message in D1", async () => {
    const { job, message } = await queuedJob();
    await deliver("verbatim-ocr", message);
    const result = await deliver("verbatim-dlq", message, 6);
    expect(result.explicitAcks).toHaveLength(1);
    const after = await coordinatorFor(env, job.id).get();
    expect(after?.status).toBe("failed");
    expect(after?.error?.code).toBe("retries_exhausted");
    expect(after?.error?.message).toContain("runner_unavailable");
    const kept = await env.DB.prepare("SELECT error_code, attempts, queue FROM dead_letters WHERE job_id = ?")
      .bind(job.id)
      .all();
    // Recorded against the queue it died on, with the job's attempts (each delivery takes one).
    expect(kept.results).toEqual([{ error_code: "runner_unavailable", attempts: 1, queue: "verbatim-ocr" }]);
  });
});

describe("fan-out steps", () => {
  const SPANS: PartRange[] = [
    { unit: "seconds", start: 0, end: 300 },
    { unit: "seconds", start: 300, end: 600 },
    { unit: "seconds", start: 600, end: 720 },
  ];
  const partResult = (start: number): AvResult => ({
    kind: "av",
    engine: "pocketsphinx",
    language: "eng",
    duration_s: start + 300,
    warnings: [],
    segments: [{ start: start + 1, end: start + 2, text: `said at ${start + 1}`, words: [] }],
  });

  /** An A/V job claimed by its first message and split into SPANS. */
  async function fannedOutAv() {
    const { userId } = await createUserWithKey();
    const base = await createQueuedJob(userId);
    const job = await createQueuedJob(userId, {
      kind: "av",
      file: { ...base.file, name: "talk.mp3", mime: "audio/mpeg", duration_s: 720 },
    });
    await env.FILES.put(sourceKey(job.id), TINY_PNG);
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim("parent");
    await coordinator.fanOut(1, SPANS);
    const message: WorkMessage = {
      v: 1,
      job_id: job.id,
      user_id: userId,
      kind: "av",
      object_key: sourceKey(job.id),
      mime: "audio/mpeg",
      options: { language: "eng", rotate_pages: true, deskew: true },
      request_id: "req-fan-out",
      enqueued_at: job.created_at,
    };
    return { job, coordinator, message };
  }

  it("retries a part alone when the runner is unreachable, leaving the job processing", async () => {
    const { job, coordinator, message } = await fannedOutAv();
    const part = { ...message, fan_out: { step: "part" as const, attempt: 1, index: 1, range: SPANS[1] as PartRange } };
    const result = await deliver("verbatim-av", part);
    expect(result.retryMessages).toHaveLength(1);
    expect(await coordinator.get()).toMatchObject({
      status: "processing",
      attempts: 1,
      parts: { done: 0, failed: [] },
    });
    // The part was given back: its retry can take it.
    expect(await coordinator.claimPart(1, 1, "the-retry")).toMatchObject({ ok: true });
    expect(job.id).toBe(message.job_id);
  });

  it("fails a part for good when its last delivery fails, and the job carries on", async () => {
    const { coordinator, message } = await fannedOutAv();
    const part = { ...message, fan_out: { step: "part" as const, attempt: 1, index: 2, range: SPANS[2] as PartRange } };
    const result = await deliver("verbatim-av", part, 10);
    expect(result.explicitAcks).toHaveLength(1);
    const job = await coordinator.get();
    expect(job?.status).toBe("processing");
    expect(job?.parts?.failed).toEqual([
      expect.objectContaining({ part: 2, range: SPANS[2], code: "retries_exhausted" }),
    ]);
  });

  it("merges the parts in order into the job's result, naming the part that failed", async () => {
    const { job, coordinator, message } = await fannedOutAv();
    for (const [index, start] of [
      [2, 600],
      [0, 0],
    ] as const) {
      await env.FILES.put(partResultKey(job.id, 1, index, "json"), JSON.stringify(partResult(start)));
      await coordinator.claimPart(1, index, `m${index}`);
      await coordinator.settlePart(1, index, `m${index}`, { engineSeconds: 1 });
    }
    // Part 1's messages all died: the dead-letter consumer fails that part only.
    const dead = { ...message, fan_out: { step: "part" as const, attempt: 1, index: 1, range: SPANS[1] as PartRange } };
    await deliver("verbatim-dlq", dead, 11);
    expect((await coordinator.get())?.status).toBe("processing");
    const record = await env.DB.prepare("SELECT stage, attempts FROM dead_letters WHERE job_id = ?")
      .bind(job.id)
      .first();
    expect(record).toEqual({ stage: "part 1 (5:00–10:00)", attempts: 0 }); // no delivery ever took it

    const merge = { ...message, fan_out: { step: "merge" as const, attempt: 1 } };
    expect((await deliver("verbatim-av", merge)).explicitAcks).toHaveLength(1);
    const ended = await coordinator.get();
    expect(ended).toMatchObject({ status: "succeeded", parts: { total: 3, done: 2 } });
    expect(ended?.parts?.failed.map((f) => f.part)).toEqual([1]);
    const stored = await env.FILES.get(resultKey(job.id, 1, "json"));
    const merged = AvResult.parse(await stored?.json());
    expect(merged.segments.map((s) => s.start)).toEqual([1, 601]);
    expect(merged.duration_s).toBe(720);
    expect(merged.failed_parts?.map((f) => f.range)).toEqual([SPANS[1]]);
    // The parts' own results are gone once merged.
    expect(await env.FILES.head(partResultKey(job.id, 1, 0, "json"))).toBeNull();
    // A duplicate merge message changes nothing.
    expect((await deliver("verbatim-av", merge)).explicitAcks).toHaveLength(1);
    expect((await coordinator.get())?.status).toBe("succeeded");
  });

  it("deletes the merged result it wrote when the job was canceled meanwhile", async () => {
    const { job, coordinator, message } = await fannedOutAv();
    for (const index of [0, 1, 2]) {
      await env.FILES.put(partResultKey(job.id, 1, index, "json"), JSON.stringify(partResult(index * 300)));
      await coordinator.claimPart(1, index, `m${index}`);
      await coordinator.settlePart(1, index, `m${index}`, { engineSeconds: 1 });
    }
    // The owner cancels just as the merged result is stored.
    const put = env.FILES.put.bind(env.FILES);
    const spy = vi.spyOn(env.FILES, "put").mockImplementation(async (key, value, options) => {
      const stored = await put(key, value, options);
      if (key === resultKey(job.id, 1, "json")) await coordinator.transition("canceled");
      return stored;
    });
    onTestFinished(() => spy.mockRestore());
    await deliver("verbatim-av", { ...message, fan_out: { step: "merge" as const, attempt: 1 } });
    expect((await coordinator.get())?.status).toBe("canceled");
    expect(await env.FILES.head(resultKey(job.id, 1, "json"))).toBeNull();
  });

  it("fails the job when every part failed, with the first part's code", async () => {
    const { coordinator, message } = await fannedOutAv();
    for (const index of [0, 1, 2]) {
      await coordinator.settlePart(1, index, "dead", {
        error: { code: "media_corrupt", message: "undecodable" },
        dead: true,
      });
    }
    await deliver("verbatim-av", { ...message, fan_out: { step: "merge" as const, attempt: 1 } });
    const job = await coordinator.get();
    expect(job).toMatchObject({ status: "failed", error: { code: "media_corrupt" } });
    expect(job?.error?.message).toContain("all 3 parts failed");
  });

  it("acknowledges a part of a canceled job without work", async () => {
    const { coordinator, message } = await fannedOutAv();
    await coordinator.transition("canceled");
    const part = { ...message, fan_out: { step: "part" as const, attempt: 1, index: 0, range: SPANS[0] as PartRange } };
    const result = await deliver("verbatim-av", part);
    expect(result.explicitAcks).toHaveLength(1);
    expect(result.retryMessages).toEqual([]);
  });
});
