import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobResource, Problem, Usage, type WorkMessage } from "../../../contracts";
import worker from "../../index";
import { coordinatorFor } from "../../services/coordinator";
import { purgeDeletedUsage, purgeExpiredJobs } from "../../services/job-deletion";
import { createQueuedJob, createUserWithKey, TINY_PNG, untilAnnounced, uploadForm } from "../../test/helpers";

const api = (path: string, auth: Record<string, string>, init: RequestInit = {}) =>
  SELF.fetch(`https://api.test${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
const stored = async (prefix: string) => (await env.FILES.list({ prefix })).objects.map((o) => o.key);

/** An endpoint for every event of the user's jobs, so that their endings are stored as webhook events. */
const subscribe = (auth: Record<string, string>) =>
  api("/v1/webhooks", auth, {
    method: "POST",
    body: JSON.stringify({ url: "https://hooks.example.test/in" }),
    headers: { "content-type": "application/json" },
  });
const eventsOf = async (jobId: string) =>
  (
    await env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE id LIKE ?")
      .bind(`evt_${jobId}_%`)
      .first<{ n: number }>()
  )?.n;

async function endedJob(auth: Record<string, string>) {
  const job = JobResource.parse(
    await (await api("/v1/jobs", auth, { method: "POST", body: uploadForm(TINY_PNG, "secret.png") })).json(),
  );
  await env.FILES.put(`results/${job.id}/1/result.json`, "{}");
  expect((await api(`/v1/jobs/${job.id}/cancel`, auth, { method: "POST" })).status).toBe(200);
  await untilAnnounced(job.id);
  return job;
}

describe("DELETE /v1/jobs/{id}", () => {
  it("deletes an ended job with its file, results, history and webhook events; its quota use stays counted", async () => {
    const { auth, userId } = await createUserWithKey();
    await subscribe(auth);
    const job = await endedJob(auth);
    expect(await eventsOf(job.id)).toBe(1);
    await env.DB.prepare(
      "INSERT INTO dead_letters (id, job_id, user_id, queue, message_id, attempts, stage, dead_at, body) VALUES (?, ?, ?, 'verbatim-ocr', ?, 3, 'job', ?, '{}')",
    )
      .bind(`dl_${job.id}`, job.id, userId, `m_${job.id}`, new Date().toISOString())
      .run();
    expect(await stored(`uploads/${job.id}/`)).toHaveLength(1);

    const res = await api(`/v1/jobs/${job.id}`, auth, { method: "DELETE" });
    expect(res.status).toBe(204);

    expect((await api(`/v1/jobs/${job.id}`, auth)).status).toBe(404);
    const list = (await (await api("/v1/jobs", auth)).json()) as { data: { id: string }[] };
    expect(list.data.map((j) => j.id)).not.toContain(job.id);
    expect(((await (await api("/v1/jobs/counts", auth)).json()) as Record<string, number>).canceled).toBe(0);
    expect(await stored(`uploads/${job.id}/`)).toEqual([]);
    expect(await stored(`results/${job.id}/`)).toEqual([]);
    expect(await eventsOf(job.id)).toBe(0);
    expect(await env.DB.prepare("SELECT id FROM dead_letters WHERE job_id = ?").bind(job.id).first()).toBeNull();
    // What it used of today's quota is still counted.
    expect(Usage.parse(await (await api("/v1/usage", auth)).json()).day.jobs).toBe(1);
    const again = await api(`/v1/jobs/${job.id}`, auth, { method: "DELETE" });
    expect(again.status).toBe(404);
    expect(Problem.parse(await again.json()).code).toBe("not_found");
  });

  it("deletes a job the moment it ended, before its webhook event was sent: nothing of it is sent or kept", async () => {
    const { auth, userId } = await createUserWithKey();
    await subscribe(auth);
    const job = await createQueuedJob(userId);
    await coordinatorFor(env, job.id).transition("canceled"); // its event's alarm is armed for now
    expect((await api(`/v1/jobs/${job.id}`, auth, { method: "DELETE" })).status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 500)); // an alarm that was due has had its chance
    expect(await eventsOf(job.id)).toBe(0);
    expect(await coordinatorFor(env, job.id).get()).toBeNull();
  });

  it("takes a multipart upload's key and a delivery log with it, and a sealed job is never replayed", async () => {
    const { auth, userId } = await createUserWithKey();
    const upload = (await (
      await api("/v1/uploads", auth, {
        method: "POST",
        body: JSON.stringify({ file_name: "a.png", size: TINY_PNG.length }),
        headers: { "content-type": "application/json", "idempotency-key": "big-file" },
      })
    ).json()) as { id: string };
    await api(`/v1/uploads/${upload.id}/parts/1`, auth, {
      method: "PUT",
      body: TINY_PNG,
      headers: { "content-length": String(TINY_PNG.length) },
    });
    const job = JobResource.parse(
      await (await api(`/v1/uploads/${upload.id}/complete`, auth, { method: "POST" })).json(),
    );
    await api(`/v1/jobs/${job.id}/cancel`, auth, { method: "POST" });
    await untilAnnounced(job.id);
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, type, attempt, ok, duration_ms, at) VALUES (?, ?, 'wh_x', 'job.canceled', 1, 1, 5, ?)",
    )
      .bind(`dlv_${job.id}`, `evt_${job.id}_3`, new Date().toISOString())
      .run();
    const keyRow = () =>
      env.DB.prepare("SELECT 1 FROM idempotency_keys WHERE user_id = ? AND key = 'big-file'").bind(userId).first();
    expect(await keyRow()).not.toBeNull();
    expect((await api(`/v1/jobs/${job.id}`, auth, { method: "DELETE" })).status).toBe(204);
    expect(await keyRow()).toBeNull();
    expect(
      await env.DB.prepare("SELECT 1 FROM webhook_deliveries WHERE event_id LIKE ?").bind(`evt_${job.id}_%`).first(),
    ).toBeNull();
    expect((await api(`/v1/uploads/${upload.id}`, auth)).status).toBe(404);

    // A failed job being deleted (sealed) is no longer replayed by an operator.
    const failed = await createQueuedJob(userId);
    const coordinator = coordinatorFor(env, failed.id);
    await coordinator.transition("failed", { error: { code: "runner_unavailable", message: "down" } });
    expect((await coordinator.seal()).ok).toBe(true);
    expect(await coordinator.replay()).toMatchObject({ ok: false, code: "invalid_transition" });
  });

  it("keeps no dead letter of work of a job deleted meanwhile", async () => {
    const { auth, userId } = await createUserWithKey();
    const job = await endedJob(auth);
    expect((await api(`/v1/jobs/${job.id}`, auth, { method: "DELETE" })).status).toBe(204);
    const message: WorkMessage = {
      v: 1,
      job_id: job.id,
      user_id: userId,
      kind: "ocr",
      object_key: `uploads/${job.id}/source`,
      mime: "image/png",
      options: { language: "eng", rotate_pages: true, deskew: true },
      request_id: "req-late",
      enqueued_at: job.created_at,
    };
    const batch = createMessageBatch("verbatim-dlq", [
      { id: `m-${job.id}`, timestamp: Date.now(), attempts: 5, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    expect(await env.DB.prepare("SELECT 1 FROM dead_letters WHERE job_id = ?").bind(job.id).first()).toBeNull();
  });

  it("refuses a job still queued or processing (cancel it first), and other users' jobs", async () => {
    const { auth } = await createUserWithKey();
    const job = JobResource.parse(
      await (await api("/v1/jobs", auth, { method: "POST", body: uploadForm(TINY_PNG, "a.png") })).json(),
    );
    const running = await api(`/v1/jobs/${job.id}`, auth, { method: "DELETE" });
    expect(running.status).toBe(409);
    expect(Problem.parse(await running.json()).code).toBe("invalid_transition");
    expect(await stored(`uploads/${job.id}/`)).toHaveLength(1);

    const ended = await endedJob(auth);
    const stranger = await createUserWithKey();
    expect((await api(`/v1/jobs/${ended.id}`, stranger.auth, { method: "DELETE" })).status).toBe(404);
    expect((await api(`/v1/jobs/${ended.id}`, auth)).status).toBe(200);
  });

  it("deletes jobs that ended longer ago than the retention period, and keeps the others", async () => {
    const { auth } = await createUserWithKey();
    const old = await endedJob(auth);
    const recent = await endedJob(auth);
    const monthAgo = new Date(Date.now() - 31 * 86_400_000).toISOString();
    await env.DB.prepare("UPDATE jobs SET updated_at = ? WHERE id = ?").bind(monthAgo, old.id).run();
    expect(await purgeExpiredJobs(env, 30)).toBeGreaterThanOrEqual(1);
    expect((await api(`/v1/jobs/${old.id}`, auth)).status).toBe(404);
    expect(await stored(`uploads/${old.id}/`)).toEqual([]);
    expect((await api(`/v1/jobs/${recent.id}`, auth)).status).toBe(200);
    expect(await stored(`uploads/${recent.id}/`)).toHaveLength(1);
  });

  it("forgets a deleted job's quota use a day after it was submitted", async () => {
    const { auth } = await createUserWithKey();
    const job = await endedJob(auth);
    expect((await api(`/v1/jobs/${job.id}`, auth, { method: "DELETE" })).status).toBe(204);
    const tomorrow = new Date(Date.now() + 86_400_000 + 1000);
    expect(await purgeDeletedUsage(env.DB, tomorrow)).toBeGreaterThanOrEqual(1);
    expect(Usage.parse(await (await api("/v1/usage", auth)).json()).day.jobs).toBe(0);
  });
});
