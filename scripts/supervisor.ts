import type { ChildProcess } from "node:child_process";

/**
 * Keeps one process of the one-machine stack alive, as a container platform keeps a container:
 * a process that exits without being asked is started again; one that stops answering its health
 * URL is killed and started again (wrangler, for one, restarts a dead workerd itself but then leaves
 * every request hanging). Each process runs in a process group of its own, so a restart also ends
 * whatever it had started (wrangler's inner node and workerd, an engine run of the runner) and
 * frees its port.
 */
export type SupervisorOptions = {
  name: string;
  /** Starts the process; it must be spawned `detached` (a process group of its own). */
  spawn: () => ChildProcess;
  /** Any HTTP answer counts as alive (a runner missing a language answers 503 but is not hung). */
  healthUrl: string;
  log: (line: string) => void;
  /** Called when the process keeps dying (`maxRestarts` within `windowMs`): the stack cannot heal. */
  onGiveUp: (reason: string) => void;
  probeEveryMs?: number;
  /** A probe unanswered this long fails; `failuresBeforeRestart` failures in a row restart the process. */
  probeTimeoutMs?: number;
  failuresBeforeRestart?: number;
  restartDelayMs?: number;
  maxRestarts?: number;
  windowMs?: number;
};

export class Supervisor {
  #child: ChildProcess | null = null;
  #wanted = false;
  #alive = false; // answered once since it was started: only then can it be judged hung
  #failures = 0;
  #probing = false;
  #restarts: number[] = [];
  #probe: NodeJS.Timeout | null = null;
  #pendingStart: NodeJS.Timeout | null = null;
  #spawn: () => ChildProcess;
  readonly #o: Required<Omit<SupervisorOptions, "spawn">>;

  constructor({ spawn, ...options }: SupervisorOptions) {
    this.#spawn = spawn;
    this.#o = {
      probeEveryMs: 5_000,
      // Generous: on a machine at load 6 the API has taken seconds to answer; a hang lasts forever.
      probeTimeoutMs: 10_000,
      failuresBeforeRestart: 3,
      restartDelayMs: 1_000,
      maxRestarts: 5,
      windowMs: 120_000,
      ...options,
    };
  }

  get child(): ChildProcess | null {
    return this.#child;
  }

  /** Starts the process (again, after `stop`) and keeps it alive until `stop`. */
  start(spawn: () => ChildProcess = this.#spawn): void {
    this.#spawn = spawn;
    this.#wanted = true;
    this.#launch();
    this.#probe ??= setInterval(() => void this.#check(), this.#o.probeEveryMs);
    this.#probe.unref();
  }

  /** Stops the process on purpose (SIGTERM, SIGKILL after `graceMs`); it is not started again. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#wanted = false;
    if (this.#pendingStart) clearTimeout(this.#pendingStart);
    if (this.#probe) clearInterval(this.#probe);
    this.#probe = null;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    killGroup(child, "SIGTERM");
    const force = setTimeout(() => killGroup(child, "SIGKILL"), graceMs);
    await exited;
    clearTimeout(force);
    killGroup(child, "SIGKILL"); // whatever the group's leader left behind
  }

  /** For a process exit: ends the group at once, without waiting. */
  stopNow(): void {
    this.#wanted = false;
    if (this.#child) killGroup(this.#child, "SIGKILL");
  }

  #launch(): void {
    this.#pendingStart = null;
    this.#alive = false;
    this.#failures = 0;
    const child = this.#spawn();
    this.#child = child;
    child.once("exit", (code, signal) => {
      killGroup(child, "SIGKILL");
      if (!this.#wanted || this.#child !== child) return;
      this.#restart(`exited unexpectedly (${signal ?? `code ${code}`})`);
    });
  }

  #restart(why: string): void {
    const now = Date.now();
    this.#restarts = [...this.#restarts.filter((t) => now - t < this.#o.windowMs), now];
    if (this.#restarts.length > this.#o.maxRestarts) {
      const reason = `${this.#o.name} ${why}, the ${this.#restarts.length}th time within ${this.#o.windowMs / 1000} s`;
      this.#o.log(`[supervisor] ${reason}; giving up`);
      this.#wanted = false;
      this.#o.onGiveUp(reason);
      return;
    }
    this.#o.log(`[supervisor] ${this.#o.name} ${why}; starting it again in ${this.#o.restartDelayMs / 1000} s`);
    this.#pendingStart = setTimeout(() => this.#wanted && this.#launch(), this.#o.restartDelayMs);
  }

  async #check(): Promise<void> {
    const child = this.#child;
    if (this.#probing || !this.#wanted || !child || child.exitCode !== null || child.signalCode !== null) return;
    this.#probing = true;
    const answered = await fetch(this.#o.healthUrl, { signal: AbortSignal.timeout(this.#o.probeTimeoutMs) })
      .then(async (res) => {
        await res.body?.cancel();
        return true;
      })
      .catch(() => false)
      .finally(() => {
        this.#probing = false;
      });
    if (this.#child !== child) return;
    if (answered) {
      this.#alive = true;
      this.#failures = 0;
      return;
    }
    if (!this.#alive || ++this.#failures < this.#o.failuresBeforeRestart) return;
    this.#o.log(
      `[supervisor] ${this.#o.name} has not answered ${this.#o.healthUrl} ${this.#failures} times in a row; killing it`,
    );
    // Its exit handler restarts it, as for any process that dies unasked; until then no probe counts.
    this.#alive = false;
    killGroup(child, "SIGKILL");
  }
}

/** Signals the child's whole process group (it was spawned detached, so its pid is the group's id). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
}
