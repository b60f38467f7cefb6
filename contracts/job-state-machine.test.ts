import { describe, expect, it } from "vitest";
import { isTerminal, JobStatus, TERMINAL_STATUSES } from "./job";
import { canTransition } from "./job-state-machine";

const legal: Array<[JobStatus, JobStatus]> = [
  ["queued", "processing"],
  ["queued", "failed"],
  ["queued", "canceled"],
  ["processing", "queued"],
  ["processing", "succeeded"],
  ["processing", "failed"],
  ["processing", "canceled"],
];

describe("job state machine", () => {
  const all = JobStatus.options;
  const pairs = all.flatMap((from) => all.map((to) => [from, to] as [JobStatus, JobStatus]));

  it.each(pairs)("%s → %s is legal only if listed", (from, to) => {
    const expected = legal.some(([f, t]) => f === from && t === to);
    expect(canTransition(from, to)).toBe(expected);
  });

  it("lets nothing leave a terminal status", () => {
    for (const from of TERMINAL_STATUSES) {
      expect(isTerminal(from)).toBe(true);
      for (const to of all) expect(canTransition(from, to)).toBe(false);
    }
    expect(isTerminal("queued")).toBe(false);
    expect(isTerminal("processing")).toBe(false);
  });
});
