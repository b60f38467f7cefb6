import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterList, LogRecord } from "../../contracts";
import { characterErrorRate } from "../support/text-metrics";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * Queue drills against the stack as `npm run dev` runs it, with FAULT_INJECTION aimed at two file
 * names: the consumer crashes on every delivery of `crash.png` (before it can decide, as a dying
 * isolate would), and the work message of `twice.png` is sent twice, so both copies arrive
 * together, as an at-least-once queue may deliver them. The attempt budget is raised above the
 * queue's max_retries (10) so the crashing message reaches the dead-letter queue.
 */
let stack: E2eStack;
let admin: Record<string, string>;
beforeAll(async () => {
  stack = await startE2eStack({
    vars: {
      FAULT_INJECTION: JSON.stringify({ crash_consumer_on: "crash.png", duplicate_messages_of: "twice.png" }),
      RETRY_POLICY: JSON.stringify({ transient: { base_seconds: 1, cap_seconds: 1 } }),
      JOB_MAX_ATTEMPTS: "20",
    },
  });
  admin = { authorization: `Bearer ${stack.createKey("queue-drills@example.test", true)}` };
});
afterAll(() => stack?.stop());

const LINES = ["Queues deliver at least once", "jobs still end exactly once"];

const deadLetters = async () =>
  DeadLetterList.parse(await (await fetch(`${stack.url}/v1/admin/dead-letters`, { headers: admin })).json()).data;

function consumerLog(jobId: string): LogRecord[] {
  return stack.logs
    .map((line) => line.slice(line.indexOf("{")))
    .filter((line) => line.includes(jobId))
    .flatMap((line) => {
      try {
        const record = LogRecord.parse(JSON.parse(line));
        return record.service === "consumer" ? [record] : [];
      } catch {
        return [];
      }
    });
}

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

  it("a consumer that crashes on every delivery: the message reaches the DLQ, the job fails once, recorded for replay", async () => {
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
  });
});
