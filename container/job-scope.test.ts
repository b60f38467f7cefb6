import { describe, expect, it } from "vitest";
import { JobScope } from "./job-scope";
import { ProcessPool } from "./pool";

describe("JobScope.run", () => {
  it("caps a process's CPU time at the time limit, times the units of work it is given", async () => {
    const scope = await JobScope.open({
      pool: new ProcessPool(1),
      timeoutMs: 1500,
      memoryBytes: 256 * 1024 * 1024,
      nice: 10,
      requestSignal: new AbortController().signal,
    });
    try {
      const cpuLimit = async (units?: number) =>
        (await scope.run("sh", ["-c", "ulimit -t"], { units })).stdout.toString().trim();
      expect(await cpuLimit()).toBe("2");
      expect(await cpuLimit(4)).toBe("6");
    } finally {
      await scope.close();
    }
  });

  it("runs engines below the runner's priority, CPU and I/O, so an API on the same machine keeps answering", async () => {
    const open = (nice: number) =>
      JobScope.open({
        pool: new ProcessPool(1),
        timeoutMs: 5000,
        memoryBytes: 256 * 1024 * 1024,
        nice,
        requestSignal: new AbortController().signal,
      });
    const [low, same] = await Promise.all([open(10), open(0)]);
    try {
      const own = (await same.run("nice", [])).stdout.toString().trim();
      expect((await low.run("nice", [])).stdout.toString().trim()).toBe(String(Number(own) + 10));
      expect((await low.run("ionice", [])).stdout.toString().trim()).toBe("best-effort: prio 7");
      // The time limits still apply under the wrappers.
      expect((await low.run("sh", ["-c", "ulimit -t"])).stdout.toString().trim()).toBe("5");
    } finally {
      await Promise.all([low.close(), same.close()]);
    }
  });
});
