import { type Signal, signal } from "@preact/signals";
import { isTerminal, type JobEvent, type StatusChange } from "../../../contracts/job";
import type { Job } from "../api/client";

/**
 * Live job state for the pages that show jobs (PRS-017). Each job that is not finished is followed
 * over its own WebSocket (its Durable Object pushes a snapshot, then every status change and
 * progress update), shared by everything on the page that shows that job. While a socket is open
 * nothing polls. When one drops, the page's single poller takes the job over: one timer for all
 * such jobs, asking for each and trying its socket again, backing off while nothing changes, and
 * letting go of a job once it is finished. It tries a polled job's socket again with a backoff of
 * its own, and gives up on a job the API no longer knows. Finished jobs in a list need no socket;
 * a page that shows one job's timeline opens it once (the socket sends the history, then closes).
 * At most `maxSockets` are open at once (the rest are polled).
 */
export type Change = StatusChange;
export type Mode = "connecting" | "live" | "polling" | "done";
export type Watched = {
  job: Signal<Job | null>;
  history: Signal<Change[]>;
  mode: Signal<Mode>;
  error: Signal<unknown>;
};

/** What the job's socket sends (contracts/job.ts), with the job as the API client types it. */
type Event = Omit<JobEvent, "job"> & { job: Job };

export type SocketLike = {
  onmessage: ((e: { data: unknown }) => void) | null;
  onclose: (() => void) | null;
  close(): void;
};

export type LiveDeps = {
  /** Opens the job's socket (a ticket, then the WebSocket); rejects if it cannot. */
  openSocket(id: string): Promise<SocketLike>;
  fetchJob(id: string): Promise<Job>;
  /** Whether a failed fetch means the job is gone for this user (stop asking), not a passing fault. */
  isPermanent(err: unknown): boolean;
  /** Milliseconds since some fixed point (Date.now in browsers). */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
};

const isDone = (job: Job | null) => job !== null && isTerminal(job.status);

type Entry = Watched & {
  refs: number;
  socket: SocketLike | null;
  opening: boolean;
  /** When the poller may try the socket again, and the wait after that. */
  socketRetryAt: number;
  socketRetryMs: number;
};

export function createLiveJobs(
  deps: LiveDeps,
  options: { maxSockets?: number; minPollMs?: number; maxPollMs?: number; socketRetryMs?: number } = {},
) {
  const firstSocketRetryMs = options.socketRetryMs ?? 2000;
  const maxSockets = options.maxSockets ?? 6;
  const minPollMs = options.minPollMs ?? 1000;
  const maxPollMs = options.maxPollMs ?? 30_000;
  const entries = new Map<string, Entry>();
  let pollTimer: unknown = null;
  let pollDelay = minPollMs;

  const openSockets = () => [...entries.values()].filter((e) => e.socket || e.opening).length;

  function apply(entry: Entry, event: Event) {
    entry.job.value = event.job;
    if (event.type === "snapshot") entry.history.value = event.history ?? [];
    else if (event.type === "status") {
      entry.history.value = [
        ...entry.history.value,
        { seq: event.seq, at: event.at, from: event.from, to: event.job.status },
      ];
    }
    if (isDone(event.job)) entry.mode.value = "done";
  }

  /**
   * Opens the job's socket; on failure the poller has the job (`fromPoller`: it has it already).
   * `story`: open it even for a finished job, whose socket sends the history once.
   */
  async function connect(id: string, entry: Entry, { fromPoller = false, story = false } = {}) {
    if (entry.socket || entry.opening || (!story && isDone(entry.job.value))) return;
    if (openSockets() >= maxSockets) return fromPoller ? undefined : poll(entry);
    entry.opening = true;
    try {
      const socket = await deps.openSocket(id);
      entry.opening = false;
      if (entry.refs === 0) return socket.close();
      entry.socket = socket;
      entry.mode.value = "live";
      entry.error.value = null;
      entry.socketRetryMs = firstSocketRetryMs;
      socket.onmessage = (e) => {
        let event: Event;
        try {
          event = JSON.parse(String(e.data)) as Event;
        } catch {
          return; // not a message of ours; the next one or the poller brings the state
        }
        apply(entry, event);
      };
      socket.onclose = () => {
        entry.socket = null;
        if (entry.refs > 0 && !isDone(entry.job.value)) poll(entry);
      };
    } catch (err) {
      entry.opening = false;
      entry.socketRetryAt = deps.now() + entry.socketRetryMs;
      entry.socketRetryMs = Math.min(60_000, entry.socketRetryMs * 2);
      if (entry.job.value === null) entry.error.value = err;
      if (deps.isPermanent(err)) entry.mode.value = "done";
      else if (entry.refs > 0 && !fromPoller && !isDone(entry.job.value)) poll(entry);
    }
  }

  function poll(entry: Entry) {
    if (entry.mode.value !== "done") entry.mode.value = "polling";
    schedule(minPollMs);
  }

  function schedule(delay: number) {
    if (pollTimer !== null) {
      if (delay >= pollDelay) return;
      deps.clearTimer(pollTimer);
    }
    pollDelay = delay;
    pollTimer = deps.setTimer(tick, delay);
  }

  /** One round of the shared poller: every job that has no socket and is not finished. */
  async function tick() {
    pollTimer = null;
    const waiting = [...entries].filter(([, e]) => e.refs > 0 && !e.socket && !e.opening && e.mode.value === "polling");
    if (waiting.length === 0) return;
    let changed = false;
    await Promise.all(
      waiting.map(async ([id, entry]) => {
        try {
          const job = await deps.fetchJob(id);
          const before = entry.job.value;
          if (!before || before.status !== job.status || before.updated_at !== job.updated_at) changed = true;
          if (before && before.status !== job.status) {
            entry.history.value = [
              ...entry.history.value,
              { seq: 0, at: job.updated_at, from: before.status, to: job.status },
            ];
          }
          entry.job.value = job;
          entry.error.value = null;
          if (isDone(job)) entry.mode.value = "done";
          else if (deps.now() >= entry.socketRetryAt) await connect(id, entry, { fromPoller: true });
        } catch (err) {
          entry.error.value = err;
          if (deps.isPermanent(err)) entry.mode.value = "done";
        }
      }),
    );
    if (waiting.some(([, e]) => e.refs > 0 && !e.socket && e.mode.value === "polling")) {
      schedule(changed ? minPollMs : Math.min(maxPollMs, pollDelay * 2));
    }
  }

  return {
    /**
     * Follows a job until `release()` is called. `initial`: a job already fetched (a list's row),
     * which needs nothing live once finished; without it the caller wants the job's whole story
     * (a job page): its timeline, even if the job has finished.
     */
    watch(id: string, initial: Job | null = null): { state: Watched; release: () => void } {
      let entry = entries.get(id);
      if (!entry) {
        entry = {
          job: signal(initial),
          history: signal([]),
          mode: signal(isDone(initial) ? "done" : "connecting"),
          error: signal(null),
          refs: 0,
          socket: null,
          opening: false,
          socketRetryAt: 0,
          socketRetryMs: firstSocketRetryMs,
        };
        entries.set(id, entry);
      } else if (initial && !entry.job.value) entry.job.value = initial;
      entry.refs++;
      const watched = entry;
      const story = initial === null && watched.history.value.length === 0;
      void connect(id, watched, { story });
      let released = false;
      return {
        state: watched,
        release() {
          if (released) return;
          released = true;
          watched.refs--;
          if (watched.refs === 0) {
            watched.socket?.close();
            watched.socket = null;
            entries.delete(id);
          }
        },
      };
    },
    /** For tests and diagnostics: how many sockets are open and how many jobs are polled. */
    stats() {
      const all = [...entries.values()];
      return {
        sockets: all.filter((e) => e.socket).length,
        polled: all.filter((e) => e.mode.value === "polling").length,
      };
    },
  };
}
