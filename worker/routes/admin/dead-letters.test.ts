import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  runInDurableObject,
  SELF,
} from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DeadLetterList, type Job, Problem, ReplayOutcome, WorkMessage } from "../../../contracts";
import { sourceKey } from "../../../contracts/storage";
import worker from "../../index";
import { coordinatorFor } from "../../services/coordinator";
import { captureSends, createQueuedJob, createUserWithKey, TINY_PNG } from "../../test/helpers";

/** A job whose work message ran out of deliveries: it sits in the dead-letter queue's consumer. */
async function deadLetteredJob(lastError: { code: "runner_unavailable" | "engine_failed"; message: string }) {
  const { userId } = await createUserWithKey();
  const job = await createQueuedJob(userId);
  await env.FILES.put(sourceKey(job.id), TINY_PNG);
  const coordinator = coordinatorFor(env, job.id);
  await coordinator.claim("first-delivery");
  await coordinator.transition("queued", { error: lastError });
  const message: WorkMessage = {
    v: 1,
    job_id: job.id,
    user_id: userId,
    kind: "ocr",
    object_key: sourceKey(job.id),
    mime: "image/png",
    options: { language: "eng", rotate_pages: true, deskew: true },
    request_id: "req-dlq",
    enqueued_at: job.created_at,
  };
  const batch = createMessageBatch("verbatim-dlq", [
    { id: `m-${job.id}`, timestamp: Date.now(), attempts: 11, body: message },
  ]);
  const ctx = createExecutionContext();
  await worker.queue(batch, env);
  expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
  return job;
}

const admin = async () => (await createUserWithKey(undefined, "admin")).auth;
const list = async (auth: Record<string, string>, query = "") =>
  SELF.fetch(`https://api.test/v1/admin/dead-letters${query}`, { headers: auth });
const replay = async (auth: Record<string, string>, body: unknown) =>
  SELF.fetch("https://api.test/v1/admin/dead-letters/replay", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("dead letters", () => {
  it("fails the job and records the message with its last error, stage and deliveries", async () => {
    const job = await deadLetteredJob({ code: "runner_unavailable", message: "connection refused" });
    expect(await coordinatorFor(env, job.id).get()).toMatchObject({
      status: "failed",
      error: { code: "retries_exhausted" },
    });
    const page = DeadLetterList.parse(await (await list(await admin(), `?job_id=${job.id}`)).json());
    expect(page.data).toHaveLength(1);
    expect(page.data[0]).toMatchObject({
      job_id: job.id,
      queue: "verbatim-ocr", // the queue it died on
      attempts: 1, // the job's attempts: it was taken once
      error_code: "runner_unavailable",
      error_message: "connection refused",
      stage: "queued",
      replayed_at: null,
    });
  });

  it("is for admins only", async () => {
    const { auth } = await createUserWithKey();
    for (const res of [await list(auth), await replay(auth, { error_code: "runner_unavailable" })]) {
      expect(res.status).toBe(403);
      expect(Problem.parse(await res.json()).code).toBe("forbidden");
    }
  });

  it("replays one job: back to queued with a fresh budget, its work sent again; twice is harmless", async () => {
    const job = await deadLetteredJob({ code: "engine_failed", message: "crashed" });
    const auth = await admin();
    const sent = captureSends(env.OCR_QUEUE);
    const first = ReplayOutcome.parse(await (await replay(auth, { job_id: job.id })).json());
    expect(first).toEqual({ replayed: [job.id], skipped: [] });
    expect(sent().map((body) => WorkMessage.parse(body).job_id)).toEqual([job.id]);
    expect(await coordinatorFor(env, job.id).get()).toMatchObject({ status: "queued", replays: 1, error: null });
    const history = await coordinatorFor(env, job.id).history();
    expect(history.map((h) => `${h.from}→${h.to}`)).toContain("failed→queued");

    const second = ReplayOutcome.parse(await (await replay(auth, { job_id: job.id })).json());
    expect(second.replayed).toEqual([]);
    expect(second.skipped[0]?.job_id).toBe(job.id);
    expect(sent()).toHaveLength(1);
    const record = DeadLetterList.parse(await (await list(auth, `?job_id=${job.id}`)).json()).data[0];
    expect(record?.replay_count).toBe(1);
    expect(record?.replayed_at).not.toBeNull();
  });

  it("replays every pending record of an error code, but not a job another try cannot help", async () => {
    const a = await deadLetteredJob({ code: "runner_unavailable", message: "down" });
    const b = await deadLetteredJob({ code: "runner_unavailable", message: "down" });
    // A job that has failed on its input since: not replayed.
    const corrupt = await deadLetteredJob({ code: "runner_unavailable", message: "down" });
    await runInDurableObject(coordinatorFor(env, corrupt.id), async (_instance, state) => {
      const job = (await state.storage.get<Job>("job")) as Job;
      await state.storage.put("job", { ...job, error: { code: "media_corrupt", message: "bad bytes" } });
    });
    const outcome = ReplayOutcome.parse(
      await (await replay(await admin(), { error_code: "runner_unavailable" })).json(),
    );
    expect(outcome.replayed).toEqual(expect.arrayContaining([a.id, b.id]));
    expect(outcome.replayed).not.toContain(corrupt.id);
    expect(outcome.skipped).toContainEqual({ job_id: corrupt.id, reason: "job is failed (media_corrupt)" });
    const pending = DeadLetterList.parse(
      await (await list(await admin(), "?error_code=runner_unavailable&pending=true")).json(),
    );
    expect(pending.data.map((d) => d.job_id)).not.toContain(a.id);
    expect(pending.data.map((d) => d.job_id)).toContain(corrupt.id);
  });

  it("replays by job id a job that failed in the consumer without leaving a dead letter", async () => {
    const { userId } = await createUserWithKey();
    const job = await createQueuedJob(userId);
    const coordinator = coordinatorFor(env, job.id);
    const claim = await coordinator.claim("m");
    const attempt = (claim as { attempt: number }).attempt;
    await coordinator.transition(
      "failed",
      { error: { code: "retries_exhausted", message: "out of retries" } },
      attempt,
    );
    const outcome = ReplayOutcome.parse(await (await replay(await admin(), { job_id: job.id })).json());
    expect(outcome.replayed).toEqual([job.id]);
    expect((await coordinator.get())?.status).toBe("queued");
  });

  it("refuses a malformed replay request", async () => {
    const res = await replay(await admin(), { error_code: "runner_unavailable", job_id: "x" });
    expect(res.status).toBe(422);
  });
});
