import { createScheduledController, env, SELF } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { AlertReport, Problem } from "../../../contracts";
import worker from "../../index";
import { recordMetric } from "../../services/metrics";
import { createQueuedJob, createUserWithKey } from "../../test/helpers";

const alerts = async (auth: Record<string, string>) =>
  SELF.fetch("https://api.test/v1/admin/alerts", { headers: auth });
const admin = async () => (await createUserWithKey(undefined, "admin")).auth;
const report = async () => AlertReport.parse(await (await alerts(await admin())).json());
const find = (r: AlertReport, name: string, scope: string | null = null) =>
  r.alerts.find((a) => a.name === name && a.scope === scope);

afterEach(() => vi.restoreAllMocks());

describe("GET /v1/admin/alerts", () => {
  it("is for admins only", async () => {
    const { auth } = await createUserWithKey();
    const res = await alerts(auth);
    expect(res.status).toBe(403);
    expect(Problem.parse(await res.json()).code).toBe("forbidden");
  });

  it("fires dependency_down while a readiness check fails (here: no runner), naming its runbook", async () => {
    const r = await report();
    expect(find(r, "dependency_down")).toMatchObject({
      firing: true,
      value: 1,
      threshold: 1,
      runbook: "docs/runbooks/runner-down.md",
    });
    expect(r.firing).toBe(r.alerts.filter((a) => a.firing).length);
  });

  it("fires dead_letters_pending until the dead letter is replayed", async () => {
    expect(find(await report(), "dead_letters_pending")).toMatchObject({ firing: false, value: 0 });
    await env.DB.prepare(
      `INSERT INTO dead_letters (id, job_id, queue, message_id, attempts, stage, dead_at, body)
       VALUES ('dl_1', 'job_x', 'verbatim-ocr', 'm1', 11, 'processing', ?, '{}')`,
    )
      .bind(new Date().toISOString())
      .run();
    expect(find(await report(), "dead_letters_pending")).toMatchObject({ firing: true, value: 1 });
    await env.DB.prepare("UPDATE dead_letters SET replayed_at = ? WHERE id = 'dl_1'")
      .bind(new Date().toISOString())
      .run();
    expect(find(await report(), "dead_letters_pending")).toMatchObject({ firing: false, value: 0 });
  });

  it("fires failure_ratio for a workload once enough jobs ended and too many failed", async () => {
    const { userId } = await createUserWithKey();
    const end = async (status: "succeeded" | "failed") => {
      const job = await createQueuedJob(userId, { kind: "av" });
      await recordMetric(env, { name: "job_ended", job: { ...job, status, finished_at: new Date().toISOString() } });
    };
    for (let i = 0; i < 3; i++) await end("failed");
    // Three endings are too few to judge (min_endings 5): no alert on a handful of jobs.
    expect(find(await report(), "failure_ratio", "av")).toMatchObject({ firing: false, value: 0 });
    await end("succeeded");
    await end("failed");
    expect(find(await report(), "failure_ratio", "av")).toMatchObject({ firing: true, value: 0.8, threshold: 0.2 });
    expect(find(await report(), "failure_ratio", "ocr")?.firing).toBe(false);
  });

  it("fires stuck_jobs for a job with no status change or progress", async () => {
    const { userId } = await createUserWithKey();
    const job = await createQueuedJob(userId);
    expect(find(await report(), "stuck_jobs")?.firing).toBe(false);
    const old = new Date(Date.now() - 3600_000).toISOString();
    await env.DB.prepare("UPDATE jobs SET updated_at = ? WHERE id = ?").bind(old, job.id).run();
    expect(find(await report(), "stuck_jobs")).toMatchObject({
      firing: true,
      value: 1,
      runbook: "docs/runbooks/stuck-job.md",
    });
  });

  it("has the scheduled upkeep log each firing alert", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    await worker.scheduled(createScheduledController(), env);
    const firing = lines.map((line) => JSON.parse(line)).filter((record) => record.msg === "alert firing");
    expect(firing.map((record) => record.alert)).toContain("dependency_down");
    expect(firing[0]).toMatchObject({
      level: "error",
      service: "api",
      runbook: expect.stringMatching(/^docs\/runbooks\//),
    });
  });
});
