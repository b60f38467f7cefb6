/**
 * How many jobs the runner takes at once. Engine processes are already capped by the pool; this caps
 * the jobs waiting for them (each holds an upload on disk and a consumer connection), so a busy
 * runner answers "come back later" (503 + Retry-After, retried by the consumer as rate-limited)
 * instead of piling up work it cannot start.
 */
export class JobAdmission {
  private active = 0;

  constructor(readonly limit: number) {}

  get jobs(): number {
    return this.active;
  }

  /** A release function if the job may start (call it once when the job ends), otherwise null. */
  tryEnter(): (() => void) | null {
    if (this.active >= this.limit) return null;
    this.active += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active -= 1;
    };
  }
}
