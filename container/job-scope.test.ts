import { describe, expect, it } from "vitest";
import { JobScope } from "./job-scope";
import { ProcessPool } from "./pool";

describe("JobScope.run", () => {
  it("caps a process's CPU time at the time limit, times the units of work it is given", async () => {
    const scope = await JobScope.open({
      pool: new ProcessPool(1),
      timeoutMs: 1500,
      memoryBytes: 256 * 1024 * 1024,
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
});
