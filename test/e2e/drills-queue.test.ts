import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AlertReport, DeadLetterList, JobResource } from "../../contracts";
import { characterErrorRate } from "../support/text-metrics";
import { type E2eStack, STACK_WORK_MS, startE2eStack } from "./stack";

/**
 * Queue drills and the runbooks they rehearse, against the stack as `npm run dev` runs it. Faults
 * (FAULT_INJECTION) are aimed at file names: the consumer crashes on the first 11 attempts of
 * `crash.png` (before it can decide, as a dying isolate would), stalls silently on the first
 * attempt of `stall.png`, and the work message of `twice.png` is sent twice, so both copies
 * arrive together. The attempt budget is raised above the queue's max_retries (10) so the crashing
 * message reaches the dead-letter queue, and thresholds are lowered so alerts fire on a small scale.
 */
let stack: E2eStack;
let adminKey: string;
let admin: Record<string, string>;
beforeAll(async () => {
  stack = await startE2eStack({
    vars: {
      FAULT_INJECTION: JSON.stringify({
        crash_consumer: { file_name: "crash.png", attempts: 11 },
        stall_consumer: { file_name: "stall.png", attempts: 1 },
        duplicate_messages_of: "twice.png",
      }),
      RETRY_POLICY: JSON.stringify({
        transient: { base_seconds: 1, cap_seconds: 1 },
        rate_limited: { base_seconds: 1, cap_seconds: 2 },
      }),
      JOB_MAX_ATTEMPTS: "20",
      JOB_STALL_SECONDS: "8",
      ALERT_THRESHOLDS: JSON.stringify({ stuck_after_s: 2, queue_backlog: 3, queue_wait_p95_s: 1 }),
    },
  });
  adminKey = stack.createKey("queue-drills@example.test", true);
  admin = { authorization: `Bearer ${adminKey}` };
});
afterAll(() => stack?.stop());

const LINES = ["Queues deliver at least once", "jobs still end exactly once"];

const deadLetters = async () =>
  DeadLetterList.parse(await (await fetch(`${stack.url}/v1/admin/dead-letters`, { headers: admin })).json()).data;
const alerts = async () =>
  AlertReport.parse(await (await fetch(`${stack.url}/v1/admin/alerts`, { headers: admin })).json());
const firing = async (name: string, scope: string | null = null) =>
  (await alerts()).alerts.find((a) => a.name === name && a.scope === scope)?.firing;

/** The consumer's log lines about one job. */
const consumerLog = (jobId: string) => stack.records(jobId).filter((record) => record.service === "consumer");

describe("queue drills", () => {
  it("the same message delivered twice, at once: one run, one terminal transition, one result", async () => {
    const png = await stack.fixtures.textImage("twice.png", LINES);
    const { job } = await stack.runToEnd(png, "twice.png");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.attempts).toBe(1);
    const [snapshot] = await stack.follow(job.id);
    expect(snapshot?.history?.map((change) => change.to)).toEqual(["queued", "processing", "succeeded"]);
    // The copy was dropped: busy while the other ran, or finished if it came after.
    await expect
      .poll(() => consumerLog(job.id).filter((r) => r.msg === "message acknowledged without work").length)
      .toBe(1);
    expect(consumerLog(job.id).filter((r) => r.msg === "job claimed")).toHaveLength(1);
    const text = await (await stack.result(job.id, "txt")).text();
    expect(characterErrorRate(LINES.join("\n"), text)).toBeLessThan(0.05);
  });

  it("runbook 'DLQ growing': a consumer crashing on every delivery fills the DLQ, the alert fires, a replay after the fix finishes the job", async () => {
    expect(await firing("dead_letters_pending")).toBe(false);
    const png = await stack.fixtures.textImage("crash.png", LINES);
    const { job, events } = await stack.runToEnd(png, "crash.png");
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("retries_exhausted");
    expect(events.filter((e) => e.type === "status" && e.job.status === "failed")).toHaveLength(1);
    // max_retries = 10: eleven deliveries, each taking the lease over from the one that died.
    expect(job.attempts).toBe(11);
    const dead = await deadLetters();
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ job_id: job.id, queue: "verbatim-ocr", attempts: 11, replay_count: 0 });
    expect(consumerLog(job.id).filter((r) => r.msg === "job claimed")).toHaveLength(11);
    expect(await firing("dead_letters_pending")).toBe(true);

    // The operator's step (docs/runbooks/dlq-growing.md): with the cause gone (the fault covers 11
    // attempts), replay the job; it runs again with a fresh budget and succeeds.
    const replay = spawnSync(resolve("node_modules/.bin/tsx"), ["scripts/dlq.ts", "replay", "--job", job.id], {
      encoding: "utf8",
      env: { ...process.env, VERBATIM_URL: stack.url, VERBATIM_API_KEY: adminKey },
    });
    expect(replay.status, replay.stderr).toBe(0);
    expect(replay.stdout).toContain("1 replayed");
    await expect.poll(async () => (await stack.getJob(job.id)).status, { timeout: STACK_WORK_MS }).toBe("succeeded");
    expect(await firing("dead_letters_pending")).toBe(false);
  });

  it("runbook 'a stuck job': a consumer hung on a job shows in stuck jobs and alerts, and the watchdog recovers it", async () => {
    const png = await stack.fixtures.textImage("stall.png", LINES);
    const res = await stack.submit(png, "stall.png");
    const job = JobResource.parse(await res.json());
    // What the operator sees (docs/runbooks/stuck-job.md): the alert, and the job with its next watchdog time.
    await expect.poll(() => firing("stuck_jobs"), { timeout: STACK_WORK_MS, interval: 250 }).toBe(true);
    const stuck = (await (
      await fetch(`${stack.url}/v1/admin/jobs/stuck?older_than_s=2`, { headers: admin })
    ).json()) as {
      data: Array<{ id: string; status: string; alarm_at: string | null }>;
    };
    expect(stuck.data.find((j) => j.id === job.id)).toMatchObject({
      status: "processing",
      alarm_at: expect.any(String),
    });
    // Without anyone's help: silent past JOB_STALL_SECONDS, the job is requeued and runs again.
    await expect.poll(async () => (await stack.getJob(job.id)).status, { timeout: STACK_WORK_MS }).toBe("succeeded");
    const ended = await stack.getJob(job.id);
    expect(ended.attempts).toBe(2);
    expect(ended.error).toBeNull();
    const [snapshot] = await stack.follow(job.id);
    expect(snapshot?.history?.map((change) => change.to)).toEqual([
      "queued",
      "processing",
      "queued",
      "processing",
      "succeeded",
    ]);
    expect(await firing("stuck_jobs")).toBe(false);
  });

  it("runbook 'queue backlog': a burst fills the queue, the backlog and wait alerts fire, and it drains", async () => {
    const pdf = await stack.fixtures.scannedPdf("burst.pdf", [
      await stack.fixtures.textImage("b1.png", LINES),
      await stack.fixtures.textImage("b2.png", LINES),
    ]);
    const submitted = await Promise.all(Array.from({ length: 12 }, () => stack.submit(pdf, "burst.pdf")));
    const ids = await Promise.all(submitted.map(async (res) => JobResource.parse(await res.json()).id));
    expect(await firing("queue_backlog", "verbatim-ocr")).toBe(true);
    for (const id of ids) {
      await expect.poll(async () => (await stack.getJob(id)).status, { timeout: 120_000 }).toBe("succeeded");
    }
    const after = await alerts();
    expect(after.alerts.find((a) => a.name === "queue_backlog" && a.scope === "verbatim-ocr")?.firing).toBe(false);
    // The window remembers the waits: what the runbook's first step looks at.
    expect(after.alerts.find((a) => a.name === "queue_wait_p95" && a.scope === "ocr")?.firing).toBe(true);
  });

  it("leaves nothing non-terminal and no dead letter unreplayed", async () => {
    const list = (await (await fetch(`${stack.url}/v1/jobs?limit=100`, { headers: stack.auth })).json()) as {
      data: Array<{ status: string }>;
    };
    for (const job of list.data) expect(job.status).toBe("succeeded");
    expect((await deadLetters()).every((d) => d.replayed_at !== null)).toBe(true);
  });
});
