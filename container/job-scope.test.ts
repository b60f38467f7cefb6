import { describe, expect, it } from "vitest";
import { ExecError } from "./exec";
import { JobScope } from "./job-scope";
import { ProcessPool } from "./pool";

describe("JobScope.run", () => {
  it("gives a process that does several units of work (pages) that many times the time limit", async () => {
    const scope = await JobScope.open({
      pool: new ProcessPool(1),
      timeoutMs: 300,
      memoryBytes: 256 * 1024 * 1024,
      requestSignal: new AbortController().signal,
    });
    try {
      const slow = () => scope.run("sleep", ["0.5"]);
      await expect(slow()).rejects.toSatisfy((error) => error instanceof ExecError && error.failure === "timeout");
      await expect(scope.run("sleep", ["0.5"], { units: 2 })).resolves.toMatchObject({ stderr: "" });
      // The CPU limit scales the same way: 1 s per unit, rounded up.
      const { stdout } = await scope.run("sh", ["-c", "ulimit -t"], { units: 4 });
      expect(stdout.toString().trim()).toBe("2");
    } finally {
      await scope.close();
    }
  });
});
