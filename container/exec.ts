import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";

export interface ExecOptions {
  /** Kills the process (SIGKILL) when it fires. */
  signal?: AbortSignal;
  /**
   * Kills the process (SIGKILL) after this long; for a process given several units of work (`units`),
   * after this long on one unit (the clock restarts when `onStderrLine` says the next one started), and
   * after `units` times this long in all.
   */
  timeoutMs?: number;
  /** Added to the runner's own environment. */
  env?: Record<string, string>;
  /**
   * Resource limits applied by the kernel (through `prlimit`): address space in bytes and CPU seconds.
   * A process that passes them fails (allocation errors) or is killed (SIGXCPU/SIGKILL).
   */
  limits?: { memoryBytes: number; cpuSeconds: number };
  /**
   * Runs the process at this niceness (`nice`), with its I/O at best-effort's lowest priority
   * (`ionice -c 2 -n 7`); set before the program starts, so every thread it makes has it. 0: as the caller.
   */
  nice?: number;
  /**
   * Called with each complete line the process writes to stderr, as it is written (progress reports);
   * returns true when the line says the process started its next unit of work.
   */
  onStderrLine?: (line: string) => boolean;
  /** Called with each complete line the process writes to stdout, as it is written (results as they come). */
  onStdoutLine?: (line: string) => void;
  /** How many units of work (pages) the process is given: its time limits apply to each (default 1). */
  units?: number;
  /** Most bytes of stdout the caller expects (default 64 MiB); a process writing more is killed (`output_limit`). */
  maxStdoutBytes?: number;
}

export interface ExecResult {
  stdout: Buffer;
  stderr: string;
}

/** Runs one program; the signature every engine adapter receives, so callers decide pooling and limits. */
export type Run = (command: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

/**
 * Why a process did not succeed. `exit` means the program ran and refused (for decoders: usually bad input);
 * the others mean it never finished on its own.
 */
export type ExecFailure = "exit" | "signal" | "timeout" | "aborted" | "spawn" | "output_limit";

export class ExecError extends Error {
  constructor(
    readonly failure: ExecFailure,
    readonly command: string,
    readonly stderrTail: string,
    detail: string,
  ) {
    super(`${command} ${detail}${stderrTail ? `: ${stderrTail}` : ""}`);
    this.name = "ExecError";
  }
}

/** Enough stderr to explain a failure without keeping a chatty tool's whole log in memory. */
const STDERR_TAIL_CHARS = 2000;
/** Engine outputs we read (TSV, bbox XHTML, JSON, word lists) are far below this; more means something is wrong. */
const MAX_STDOUT_BYTES = 64 * 1024 * 1024;

/** Runs `command` with an argument array (never a shell), collecting stdout and the tail of stderr. */
export const execFile: Run = (command, args, options = {}) =>
  new Promise((resolve, reject) => {
    const { signal, timeoutMs, env, limits, nice = 0, onStderrLine, onStdoutLine, units = 1 } = options;
    const maxStdoutBytes = options.maxStdoutBytes ?? MAX_STDOUT_BYTES;
    if (signal?.aborted) {
      reject(new ExecError("aborted", command, "", "was not started: the job was aborted"));
      return;
    }
    // Each wrapper sets its part and execs the next, so the program itself runs with all of them.
    const limited = limits
      ? ["prlimit", `--as=${limits.memoryBytes}`, `--cpu=${limits.cpuSeconds}`, "--", command, ...args]
      : [command, ...args];
    const [program, ...argv] =
      nice > 0 ? ["nice", "-n", String(nice), "ionice", "-c", "2", "-n", "7", ...limited] : limited;
    const child = spawn(program as string, argv, {
      stdio: ["ignore", "pipe", "pipe"],
      env: env ? { ...process.env, ...env } : process.env,
    });

    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = "";
    let stopReason: ExecFailure | undefined;
    let callbackError: unknown;
    const stop = (reason: ExecFailure) => {
      stopReason ??= reason;
      child.kill("SIGKILL");
    };

    /**
     * Calls `onLine` with each complete line of a stream's text (`flush` hands over a last line without
     * a newline); a throwing callback kills the process. A line is kept to its last `maxLine` characters
     * (stderr's progress lines are short; stdout is bounded as a whole by `maxStdoutBytes`).
     */
    const lineReader = (onLine: (line: string) => void, maxLine: number) => {
      let partialLine = "";
      const deliver = (line: string) => {
        try {
          onLine(line);
        } catch (error) {
          callbackError ??= error;
          child.kill("SIGKILL");
        }
      };
      return {
        push(chunk: string) {
          const lines = (partialLine + chunk).split("\n");
          partialLine = (lines.pop() ?? "").slice(-maxLine);
          for (const line of lines) deliver(line);
        },
        flush() {
          if (partialLine) deliver(partialLine);
          partialLine = "";
        },
      };
    };
    const stdoutText = new StringDecoder("utf8");
    const stdoutLines = onStdoutLine ? lineReader(onStdoutLine, maxStdoutBytes) : undefined;
    const stderrLines = onStderrLine
      ? lineReader((line) => {
          if (onStderrLine(line)) restartUnitTimer();
        }, STDERR_TAIL_CHARS)
      : undefined;

    child.stdout.on("data", (chunk: Buffer) => {
      stdoutBytes += chunk.length;
      if (stdoutBytes > maxStdoutBytes) stop("output_limit");
      else stdout.push(chunk);
      stdoutLines?.push(stdoutText.write(chunk));
    });
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      stderr = (stderr + chunk).slice(-STDERR_TAIL_CHARS);
      stderrLines?.push(chunk);
    });

    const onAbort = () => stop("aborted");
    signal?.addEventListener("abort", onAbort, { once: true });
    const timeOut = (ms: number | undefined) => (ms === undefined ? undefined : setTimeout(() => stop("timeout"), ms));
    let unitTimer = timeOut(timeoutMs);
    const wholeTimer = units > 1 && timeoutMs !== undefined ? timeOut(timeoutMs * units) : undefined;
    function restartUnitTimer() {
      clearTimeout(unitTimer);
      unitTimer = timeOut(timeoutMs);
    }
    const cleanUp = () => {
      clearTimeout(unitTimer);
      clearTimeout(wholeTimer);
      signal?.removeEventListener("abort", onAbort);
    };

    child.on("error", (error) => {
      cleanUp();
      reject(new ExecError("spawn", command, "", `could not be started (${error.message})`));
    });
    child.on("close", (code, killedBy) => {
      cleanUp();
      // A last line of results without a newline is still results.
      stdoutLines?.push(stdoutText.end());
      stdoutLines?.flush();
      const tail = stderr.trim();
      if (callbackError !== undefined) reject(callbackError);
      else if (stopReason === "timeout") {
        const limit = units > 1 ? `${timeoutMs} ms on one of its ${units} units of work` : `${timeoutMs} ms`;
        reject(new ExecError("timeout", command, tail, `timed out after ${limit}`));
      } else if (stopReason === "aborted")
        reject(new ExecError("aborted", command, tail, "was killed: the job was aborted"));
      else if (stopReason === "output_limit")
        reject(new ExecError("output_limit", command, "", "wrote too much output"));
      else if (killedBy) reject(new ExecError("signal", command, tail, `was killed by ${killedBy}`));
      else if (code !== 0) reject(new ExecError("exit", command, tail, `exited with code ${code}`));
      else resolve({ stdout: Buffer.concat(stdout), stderr: tail });
    });
  });
