import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Job, KindMetrics } from "../../../contracts";
import { coordinatorFor } from "../../services/coordinator";
import { percentile } from "../../services/metrics";
import { createQueuedJob, createUserWithKey } from "../../test/helpers";

const metrics = async (auth: Record<string, string>, query = "") =>
  SELF.fetch(`https://api.test/v1/admin/metrics${query}`, { headers: auth });

/** A job that waited `waitS` in the queue and ran `runS` before ending with `end`. */
async function endedJob(userId: string, kind: "ocr" | "av", waitS: number, runS: number, end: "succeeded" | "failed") {
  const created = new Date(Date.now() - (waitS + runS) * 1000).toISOString();
  const job = await createQueuedJob(userId, { kind, created_at: created, updated_at: created });
  const coordinator = coordinatorFor(env, job.id);
  await coordinator.claim("m");
  await runInDurableObject(coordinator, async (_i, state) => {
    const stored = (await state.storage.get<Job>("job")) as Job;
    await state.storage.put("job", { ...stored, started_at: new Date(Date.now() - runS * 1000).toISOString() });
  });
  if (end === "failed") await coordinator.transition("queued", { error: { code: "engine_failed", message: "x" } });
  if (end === "failed") await coordinator.claim("m2");
  await coordinator.transition(end, end === "failed" ? { error: { code: "media_corrupt", message: "bad" } } : {});
}

describe("GET /v1/admin/metrics", () => {
  it("counts endings, failures by code and retries per workload, with latency percentiles", async () => {
    const { userId } = await createUserWithKey();
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const before = ((await (await metrics(admin)).json()) as { kinds: Record<string, KindMetrics> }).kinds;
    for (const runS of [1, 2, 3, 4]) await endedJob(userId, "av", 10, runS, "succeeded");
    await endedJob(userId, "av", 10, 5, "failed");

    const res = await metrics(admin);
    expect(res.status).toBe(200);
    const av = ((await res.json()) as { kinds: Record<string, KindMetrics> }).kinds.av as KindMetrics;
    const was = before.av as KindMetrics;
    expect(av.succeeded - was.succeeded).toBe(4);
    expect(av.failed - was.failed).toBe(1);
    expect((av.failed_by_code.media_corrupt ?? 0) - (was.failed_by_code.media_corrupt ?? 0)).toBe(1);
    expect(av.retries - was.retries).toBe(1);
    expect(av.processing_ms.p99).toBeGreaterThanOrEqual(4500);
    expect(av.queue_wait_ms.p50).toBeGreaterThanOrEqual(9000);
  });

  it("speaks Prometheus text, and only to admins", async () => {
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const res = await metrics(admin, "?format=prometheus&window_s=600");
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toMatch(/^# HELP verbatim_jobs_ended /m);
    expect(text).toMatch(/^verbatim_jobs_ended\{kind="ocr",status="succeeded"\} \d+$/m);
    expect(text).toMatch(/^verbatim_job_retries\{kind="av"\} \d+$/m);
    const { auth } = await createUserWithKey();
    expect((await metrics(auth)).status).toBe(403);
  });
});

describe("percentile (nearest rank)", () => {
  it("picks values by rank", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });
});
