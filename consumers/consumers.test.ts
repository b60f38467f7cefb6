import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { ulid } from "ulid";
import { describe, expect, it } from "vitest";
import type { Job, WorkMessage } from "../contracts";
import worker from "../worker/index";
import { coordinatorFor } from "../worker/services/coordinator";
import { sourceKey } from "../worker/services/job-service";
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
    options: { language: "eng" },
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
    expect(result.retryMessages[0]?.delaySeconds ?? 0).toBeLessThanOrEqual(5);
    const after = await coordinatorFor(env, job.id).get();
    expect(after).toMatchObject({ status: "queued", attempts: 1, error: { code: "runner_unavailable" } });
  });

  it("fails the job with retries_exhausted when the last allowed delivery fails too", async () => {
    const { job, message } = await queuedJob();
    const result = await deliver("verbatim-ocr", message, 5); // transient errors get 5 deliveries by default
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
    const kept = await env.DB.prepare("SELECT error_code, attempts FROM dead_letters WHERE job_id = ?")
      .bind(job.id)
      .all();
    expect(kept.results).toEqual([{ error_code: "runner_unavailable", attempts: 6 }]);
  });
});
