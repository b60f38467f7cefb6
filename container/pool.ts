/**
 * A counting semaphore shared by all requests: at most `size` engine processes run at once, so a burst of
 * requests queues instead of oversubscribing the CPU (tesseract and pocketsphinx each keep one core busy).
 * Waiters are served first come, first served.
 */
export class ProcessPool {
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`pool size must be a positive integer, got ${size}`);
  }

  /** Slots currently held. */
  get busy(): number {
    return this.#active;
  }

  /** Runs `task` once a slot is free; gives up waiting (rejecting with the signal's reason) if `signal` fires. */
  async use<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.#acquire(signal);
    try {
      return await task();
    } finally {
      this.#release();
    }
  }

  #acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.#active < this.size) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(grant), 1);
        reject(signal?.reason);
      };
      const grant = () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#waiting.push(grant);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #release(): void {
    const next = this.#waiting.shift();
    // Hand the slot straight to the next waiter, so `#active` never dips and lets a newcomer jump the queue.
    if (next) next();
    else this.#active--;
  }
}
