import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { characterErrorRate } from "../support/text-metrics";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * Drill: D1 fails once. The stack runs with FAULT_INJECTION making the first D1 write of each job's
 * `succeeded` change fail. The change is refused as a whole (the job stays `processing`, nothing
 * half-written), the consumer retries, and the job ends `succeeded` exactly once with its results.
 */
let stack: E2eStack;
beforeAll(async () => {
  stack = await startE2eStack({
    vars: {
      FAULT_INJECTION: JSON.stringify({ fail_d1_mirror_of: "succeeded", times: 1 }),
      RETRY_POLICY: JSON.stringify({ transient: { base_seconds: 1, cap_seconds: 2 } }),
    },
  });
});
afterAll(() => stack?.stop());

const LINES = ["A database hiccup", "must not lose the result"];

describe("fault drill: D1 write fails once", () => {
  it("refuses the change whole, retries, and ends succeeded once with the result", async () => {
    const png = await stack.fixtures.textImage("d1.png", LINES);
    const { job, events } = await stack.runToEnd(png, "d1.png");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.attempts).toBe(2);
    const changes = events.flatMap((e) => (e.type === "status" ? [`${e.from}→${e.job.status}`] : []));
    expect(changes).toContain("processing→queued");
    expect(changes.filter((c) => c.endsWith("→succeeded"))).toHaveLength(1);
    expect(characterErrorRate(LINES.join("\n"), await (await stack.result(job.id, "txt")).text())).toBeLessThan(0.05);
    // The list (read from D1) agrees with the coordinator.
    const list = (await (await fetch(`${stack.url}/v1/jobs?limit=5`, { headers: stack.auth })).json()) as {
      data: Array<{ id: string; status: string }>;
    };
    expect(list.data.find((j) => j.id === job.id)?.status).toBe("succeeded");
  });
});
