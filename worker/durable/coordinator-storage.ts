import { Job, type JobError, type PartRange, type StatusChange } from "../../contracts";

/** The work message holding the job's current attempt. */
export type Lease = { attempt: number; holder: string };

/** A webhook event waiting to be queued. */
export type Outbox = { event_id: string };

/** One part of a fanned-out attempt, as the coordinator keeps it. */
export type PartState = {
  range: PartRange;
  state: "pending" | "done" | "failed";
  /** The work message working on it, if any, and when it last reported. */
  holder: string | null;
  heard_at: number;
  /** Units (pages) finished so far, for progress. */
  done_units: number;
  /** Times a message took the part. */
  claims: number;
  error: JobError | null;
};

/** The parts of the attempt that fanned out. */
export type FanOut = { attempt: number; parts: PartState[] };

/**
 * What a coordinator stores, key by key. The names are stored data: they outlive deploys, so they
 * never change (no Durable Object migration).
 */
type Stored = {
  /** The job (parsed on read: fields added to the contract since get their defaults). */
  job: unknown;
  /** The number of the last event sent to sockets; status changes are kept under `event:` + it. */
  seq: number;
  lease: Lease;
  outbox: Outbox;
  fanout: FanOut;
  /** When the job last became queued, for JOB_MAX_QUEUED_SECONDS. */
  queued_since: number;
  /** Work re-sent while queued, for the back-off. */
  queued_resends: number;
  /** Watchdog recoveries of the job. */
  recoveries: number;
  /** Attempts that a busy runner refused, which cost no budget. */
  free_attempts: number;
  /** Sealed for deletion: nothing is sent or restarted any more. */
  deleting: boolean;
  /** Drills: D1 faults injected so far. */
  faults_injected: number;
};
type Key = keyof Stored;

const EVENT_PREFIX = "event:";
const TICKET_PREFIX = "ticket:";

/** The coordinator's storage, typed: one place names its keys. */
export class CoordinatorStorage {
  constructor(private readonly storage: DurableObjectStorage) {}

  get<K extends Key>(key: K): Promise<Stored[K] | undefined> {
    return this.storage.get<Stored[K]>(key);
  }

  /** A counter's value, 0 when never set. */
  async count(key: "seq" | "queued_resends" | "recoveries" | "free_attempts" | "faults_injected"): Promise<number> {
    return (await this.get(key)) ?? 0;
  }

  put(values: Partial<Stored>): Promise<void> {
    return this.storage.put(values);
  }

  delete(...keys: Key[]): Promise<number> {
    return this.storage.delete(keys);
  }

  async job(): Promise<Job | null> {
    // Storage reads are served from the object's in-memory cache, so there is no second copy here.
    const stored = await this.get("job");
    return stored === undefined ? null : Job.parse(stored);
  }

  /** The number the next event takes (events are numbered for sockets, status changes or not). */
  async nextSeq(): Promise<number> {
    return (await this.count("seq")) + 1;
  }

  /** Stores `values` with the status change `change` in the history, at once. */
  recordChange(change: StatusChange, values: Partial<Stored>): Promise<void> {
    return this.storage.put({ ...values, [`${EVENT_PREFIX}${String(change.seq).padStart(6, "0")}`]: change });
  }

  async history(): Promise<StatusChange[]> {
    return [...(await this.storage.list<StatusChange>({ prefix: EVENT_PREFIX })).values()];
  }

  /** Socket tickets, kept by their hash until `expires` (ms). */
  async putTicket(hash: string, expires: number): Promise<void> {
    const now = Date.now();
    const stale = [...(await this.storage.list<number>({ prefix: TICKET_PREFIX })).entries()]
      .filter(([, at]) => at <= now)
      .map(([key]) => key);
    if (stale.length > 0) await this.storage.delete(stale);
    await this.storage.put(`${TICKET_PREFIX}${hash}`, expires);
  }

  /** Takes the ticket with this hash (single use): when it expires, or undefined for none. */
  async takeTicket(hash: string): Promise<number | undefined> {
    const key = `${TICKET_PREFIX}${hash}`;
    const expires = await this.storage.get<number>(key);
    if (expires !== undefined) await this.storage.delete(key);
    return expires;
  }

  setAlarm(at: number): Promise<void> {
    return this.storage.setAlarm(at);
  }

  getAlarm(): Promise<number | null> {
    return this.storage.getAlarm();
  }

  deleteAlarm(): Promise<void> {
    return this.storage.deleteAlarm();
  }

  deleteAll(): Promise<void> {
    return this.storage.deleteAll();
  }
}
