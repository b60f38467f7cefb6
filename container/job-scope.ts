import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ExecResult, execFile, type Run } from "./exec";
import type { ProcessPool } from "./pool";

export interface JobScopeOptions {
  pool: ProcessPool;
  /** Limit for each process the job starts, and for each unit of work of a process given several (`ExecOptions.units`). */
  timeoutMs: number;
  /** Address space each process may use, in bytes (CPU time is bounded by the timeout too). */
  memoryBytes: number;
  /** Niceness of each process (ExecOptions.nice). */
  nice: number;
  /** Fires when the client goes away. */
  requestSignal: AbortSignal;
}

/**
 * Everything one request owns: a private temp directory and the processes it starts (all through the shared
 * pool). `close()` kills what still runs, waits for it to exit — so nothing writes into the directory
 * afterwards — and deletes the directory.
 */
export class JobScope {
  readonly #controller = new AbortController();
  readonly #running = new Set<Promise<ExecResult>>();

  private constructor(
    readonly dir: string,
    private readonly options: JobScopeOptions,
  ) {
    const { requestSignal } = options;
    if (requestSignal.aborted) this.abort();
    else requestSignal.addEventListener("abort", () => this.abort(), { once: true });
  }

  static async open(options: JobScopeOptions): Promise<JobScope> {
    return new JobScope(await mkdtemp(join(tmpdir(), "verbatim-")), options);
  }

  /** Fires when the client went away or the job is being torn down. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Runs a process for this job: waits for a pool slot, applies the timeout, dies with the job. */
  readonly run: Run = (command, args, execOptions) => {
    const { pool, timeoutMs, memoryBytes, nice } = this.options;
    const signal = this.signal;
    // CPU time: the wall-clock limit for all the units of work the process is given.
    const limits = { memoryBytes, cpuSeconds: Math.ceil((timeoutMs * Math.max(1, execOptions?.units ?? 1)) / 1000) };
    const started = pool.use(
      () => execFile(command, args, { ...execOptions, signal, timeoutMs, limits, nice }),
      signal,
    );
    this.#running.add(started);
    const forget = () => this.#running.delete(started);
    started.then(forget, forget);
    return started;
  };

  /** A path inside the job's directory. */
  path(name: string): string {
    return join(this.dir, name);
  }

  abort(): void {
    this.#controller.abort();
  }

  async close(): Promise<void> {
    this.abort();
    await Promise.allSettled(this.#running);
    await rm(this.dir, { recursive: true, force: true });
  }
}
