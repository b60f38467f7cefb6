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

  it("fails the job with budget_exceeded once it used its attempts, whatever the class allows", async () => {
    const { userId } = await createUserWithKey();
    const job = await createQueuedJob(userId, { attempts: 7 });
    await env.FILES.put(sourceKey(job.id), TINY_PNG);
    const { message } = await queuedJob();
    const result = await deliver("verbatim-ocr", { ...message, job_id: job.id, object_key: sourceKey(job.id) });
    expect(result.explicitAcks).toHaveLength(1);
    const after = await coordinatorFor(env, job.id).get();
    expect(after).toMatchObject({ status: "failed", attempts: 8, error: { code: "budget_exceeded" } });
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
