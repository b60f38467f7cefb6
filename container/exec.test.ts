import { describe, expect, it } from "vitest";
import { ExecError, execFile } from "./exec";

async function failureOf(promise: Promise<unknown>): Promise<ExecError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof ExecError)) throw new Error(`expected an ExecError, got ${String(error)}`);
  return error;
}

describe("execFile", () => {
  it("returns stdout and passes arguments verbatim, with no shell in between", async () => {
    const { stdout } = await execFile("printf", ["%s|%s", "$(echo injected)", "a b; c"]);
    expect(stdout.toString()).toBe("$(echo injected)|a b; c");
  });

  it("adds env entries to the environment", async () => {
    const { stdout } = await execFile("sh", ["-c", 'printf %s "$VERBATIM_TEST:$PATH"'], {
      env: { VERBATIM_TEST: "x" },
    });
    expect(stdout.toString()).toBe(`x:${process.env.PATH}`);
  });

  it("runs the process under its memory and CPU limits, which the kernel enforces", async () => {
    const limits = { memoryBytes: 256 * 1024 * 1024, cpuSeconds: 7 };
    const { stdout } = await execFile("sh", ["-c", "ulimit -v; ulimit -t"], { limits });
    expect(stdout.toString().trim().split("\n")).toEqual(["262144", "7"]);
    // An engine that needs more memory than it may have fails instead of taking the machine's.
    const starved = await failureOf(
      execFile("tesseract", ["--version"], { limits: { ...limits, memoryBytes: 4 * 1024 * 1024 } }),
    );
    expect(["exit", "signal"]).toContain(starved.failure);
    expect((await execFile("tesseract", ["--version"], { limits })).stdout.toString()).toMatch(/tesseract/i);
  });

  it("reports a non-zero exit with the tail of stderr", async () => {
    const error = await failureOf(execFile("sh", ["-c", "echo first >&2; echo last words >&2; exit 3"]));
    expect(error.failure).toBe("exit");
    expect(error.stderrTail).toBe("first\nlast words");
    expect(error.message).toContain("exited with code 3");
  });

  it("keeps only the end of a long stderr", async () => {
    const error = await failureOf(execFile("sh", ["-c", "yes noise | head -c 100000 >&2; echo END >&2; exit 1"]));
    expect(error.stderrTail.length).toBeLessThanOrEqual(2000);
    expect(error.stderrTail.endsWith("END")).toBe(true);
  });

  it("hands over each stderr line as it is written, whole even when it arrives in pieces", async () => {
    const lines: string[] = [];
    let firstLine = () => {};
    const gotFirstLine = new Promise<void>((resolve) => (firstLine = resolve));
    const script =
      "exec >&2; printf 'Page 0 : a\\nPage 1'; sleep 0.3; printf ' : b\\n'; sleep 0.5; printf 'no newline'";
    let finished = false;
    const running = execFile("sh", ["-c", script], {
      onStderrLine: (line) => {
        lines.push(line);
        firstLine();
        return false;
      },
    });
    running.then(() => (finished = true)).catch(() => {});
    await gotFirstLine;
    // The first line came while the process was still running, without the half line after it.
    expect(finished).toBe(false);
    expect(lines[0]).toBe("Page 0 : a");
    const { stderr } = await running;
    expect(lines).toEqual(["Page 0 : a", "Page 1 : b"]);
    expect(stderr).toBe("Page 0 : a\nPage 1 : b\nno newline");
  });

  it("hands over each stdout line as it is written, and still collects stdout whole", async () => {
    const lines: string[] = [];
    let firstLine = () => {};
    const gotFirstLine = new Promise<void>((resolve) => (firstLine = resolve));
    let finished = false;
    const running = execFile("sh", ["-c", "printf 'é one\\ntw'; sleep 0.5; printf 'o\\nend'"], {
      onStdoutLine: (line) => {
        lines.push(line);
        firstLine();
      },
    });
    running.then(() => (finished = true)).catch(() => {});
    await gotFirstLine;
    expect(finished).toBe(false);
    const { stdout } = await running;
    // The last line, without a newline, comes when the process ends.
    expect(lines).toEqual(["é one", "two", "end"]);
    expect(stdout.toString()).toBe("é one\ntwo\nend");
  });

  it("gives a process with several units of work the time limit for each unit, and in all units times it", async () => {
    const unitStarted = (line: string) => line === "next";
    // Four units of 0.15 s: 0.6 s in all, longer than one unit's 0.5 s limit.
    const steady = "exec >&2; for i in 1 2 3 4; do echo next; sleep 0.15; done";
    await expect(
      execFile("sh", ["-c", steady], { timeoutMs: 500, units: 4, onStderrLine: unitStarted }),
    ).resolves.toMatchObject({ stderr: "next\nnext\nnext\nnext" });
    // Without the units announced, the same work passes the limit.
    const unannounced = await failureOf(
      execFile("sh", ["-c", steady], { timeoutMs: 500, units: 4, onStderrLine: () => false }),
    );
    expect(unannounced.failure).toBe("timeout");
    expect(unannounced.message).toContain("500 ms on one of its 4 units of work");
    // A unit that hangs is stopped after its own limit, however many units are left.
    const started = Date.now();
    const hung = await failureOf(
      execFile("sh", ["-c", "exec >&2; echo next; exec sleep 10"], {
        timeoutMs: 300,
        units: 20,
        onStderrLine: unitStarted,
      }),
    );
    expect(hung.failure).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(3000);
    // And the whole run cannot outlast units × the limit, even announcing units all along.
    const chatty = await failureOf(
      execFile("sh", ["-c", "exec >&2; while true; do echo next; sleep 0.05; done"], {
        timeoutMs: 200,
        units: 2,
        onStderrLine: unitStarted,
      }),
    );
    expect(chatty.failure).toBe("timeout");
  });

  it("fails the run, not the runner, when the line handler throws", async () => {
    const error = await execFile("sh", ["-c", "echo boom >&2; exec sleep 5"], {
      onStderrLine: () => {
        throw new Error("handler failed");
      },
    }).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe("handler failed");
  });

  it("stops a process that writes more than the caller expects", async () => {
    const error = await failureOf(execFile("sh", ["-c", "head -c 100000 /dev/zero"], { maxStdoutBytes: 1000 }));
    expect(error.failure).toBe("output_limit");
    expect((await execFile("sh", ["-c", "head -c 1000 /dev/zero"], { maxStdoutBytes: 1000 })).stdout).toHaveLength(
      1000,
    );
  });

  it("kills a process that outlives its timeout", async () => {
    const started = Date.now();
    const error = await failureOf(execFile("sleep", ["10"], { timeoutMs: 100 }));
    expect(error.failure).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("kills the process when the signal fires, and does not start one on an aborted signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    expect((await failureOf(execFile("sleep", ["10"], { signal: controller.signal }))).failure).toBe("aborted");
    expect((await failureOf(execFile("sleep", ["10"], { signal: controller.signal }))).failure).toBe("aborted");
  });

  it("reports a missing program as a spawn failure", async () => {
    expect((await failureOf(execFile("verbatim-no-such-program", []))).failure).toBe("spawn");
  });

  it("reports a process killed from outside", async () => {
    const error = await failureOf(execFile("sh", ["-c", "kill -KILL $$"]));
    expect(error.failure).toBe("signal");
  });
});
