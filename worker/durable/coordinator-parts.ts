import {
  isTerminal,
  type Job,
  type JobError,
  type JobStatus,
  type PartRange,
  rangeUnits,
  type WorkStep,
} from "../../contracts";
import type { Config } from "../config";
import { recordMetric } from "../services/metrics";
import type { CoordinatorStorage, FanOut, Lease, PartState } from "./coordinator-storage";

export type TransitionResult =
  | { ok: true; job: Job }
  | {
      ok: false;
      /** `stale_attempt`: the caller's claim was taken over by a newer attempt; its work no longer counts. */
      code: "invalid_transition" | "not_found" | "stale_attempt";
      from: JobStatus | null;
      job: Job | null;
    };

export type PartClaimResult =
  | { ok: true; job: Job }
  | { ok: false; reason: "not_found" | "finished" | "stale" | "busy" | "settled"; job: Job | null };

export type PartSettleResult =
  | { ok: true; job: Job; complete: boolean }
  | { ok: false; code: "not_found" | "stale_attempt" | "invalid_transition"; job: Job | null };

/** The coordinator's limits, from its configuration. */
export type CoordinatorLimits = {
  maxAttempts: number;
  stallMs: number;
  queuedMs: number;
  maxQueuedMs: number;
  maxRecoveries: number;
};

export function coordinatorLimits(config: Config): CoordinatorLimits {
  return {
    maxAttempts: config.JOB_MAX_ATTEMPTS,
    stallMs: config.JOB_STALL_SECONDS * 1000,
    queuedMs: config.JOB_QUEUED_RESEND_SECONDS * 1000,
    maxQueuedMs: config.JOB_MAX_QUEUED_SECONDS * 1000,
    maxRecoveries: config.JOB_MAX_RECOVERIES,
  };
}

/** What the coordinator lends the parts of its work it keeps apart (fan-out, the watchdog). */
export type CoordinatorHost = {
  readonly env: Env;
  readonly store: CoordinatorStorage;
  load(): Promise<Job | null>;
  limits(): CoordinatorLimits;
  /** Keeps the job's D1 row fresh (at most once a minute: progress, not a status change). */
  refreshMirror(job: Job): Promise<void>;
  /** Stores a change within the job's status as a progress event, and tells the sockets. */
  publishProgress(job: Job, values?: { lease?: Lease; fanout?: FanOut }): Promise<void>;
  /** Sends the job's work (or, given `steps`, those steps of it) to its queue. */
  enqueue(job: Job, steps?: WorkStep[]): Promise<void>;
};

/**
 * The parts of a fanned-out attempt (fan-out), kept by the job's coordinator: each part leased to
 * one work message at a time, like the job itself; progress summed over them; the merge queued
 * when the last one settles. The coordinator runs every call one at a time (its `exclusive`).
 */
export class PartsLedger {
  constructor(private readonly host: CoordinatorHost) {}

  /**
   * Splits the attempt's work into parts (fan-out). Only the attempt holding the job may; asking
   * again for the same attempt returns the parts it already has, so a redelivered message cannot
   * split the job twice.
   */
  async fanOut(attempt: number, ranges: PartRange[]): Promise<TransitionResult & { ranges?: PartRange[] }> {
    const job = await this.host.load();
    if (!job) return { ok: false, code: "not_found", from: null, job: null };
    if (attempt !== job.attempts || job.status !== "processing") {
      return { ok: false, code: "stale_attempt", from: job.status, job };
    }
    const existing = await this.host.store.get("fanout");
    if (existing?.attempt === attempt) return { ok: true, job, ranges: existing.parts.map((part) => part.range) };
    const fanOut: FanOut = {
      attempt,
      parts: ranges.map((range) => ({
        range,
        state: "pending",
        holder: null,
        heard_at: 0,
        done_units: 0,
        claims: 0,
        error: null,
      })),
    };
    const next: Job = { ...job, parts: { total: ranges.length, done: 0, failed: [] } };
    return { ok: true, job: await this.save(next, fanOut, "parts"), ranges };
  }

  /**
   * Takes part `index` of a fanned-out attempt for the work message `holder`. Refused when the job
   * ended or moved on (`finished`, `stale`), when the part is done or failed (`settled`: a duplicate
   * delivery), or when another live message works on it (`busy`); a holder silent for
   * JOB_STALL_SECONDS loses the part to the next delivery.
   */
  async claim(attempt: number, index: number, holder: string): Promise<PartClaimResult> {
    const job = await this.host.load();
    if (!job) return { ok: false, reason: "not_found", job: null };
    if (isTerminal(job.status)) return { ok: false, reason: "finished", job };
    const fanOut = await this.host.store.get("fanout");
    const part = fanOut?.parts[index];
    if (!fanOut || !part || fanOut.attempt !== attempt || job.attempts !== attempt || job.status !== "processing") {
      return { ok: false, reason: "stale", job };
    }
    if (part.state !== "pending") return { ok: false, reason: "settled", job };
    const live = part.holder !== null && Date.now() - part.heard_at < this.host.limits().stallMs;
    if (live && part.holder !== holder) return { ok: false, reason: "busy", job };
    fanOut.parts[index] = { ...part, holder, heard_at: Date.now(), done_units: 0, claims: part.claims + 1 };
    await this.host.store.put({ fanout: fanOut });
    return { ok: true, job };
  }

  /** Progress of a part from its holder: `doneUnits` pages of it finished. Keeps the job from looking stalled. */
  async report(attempt: number, index: number, holder: string, doneUnits: number): Promise<TransitionResult> {
    const checked = await this.held(attempt, index, holder);
    if (!checked.ok) return checked;
    const { job, fanOut } = checked;
    const part = fanOut.parts[index] as PartState;
    fanOut.parts[index] = { ...part, heard_at: Date.now(), done_units: Math.min(doneUnits, rangeUnits(part.range)) };
    return { ok: true, job: await this.save(job, fanOut, "parts") };
  }

  /**
   * A part's holder gives it back to be retried later (its message goes back to the queue) after
   * `error`, adding the engine time it spent to the job's budget. Counted as a retry in the metrics.
   */
  async release(
    attempt: number,
    index: number,
    holder: string,
    failure: { error: JobError; engineSeconds: number },
  ): Promise<TransitionResult> {
    const checked = await this.held(attempt, index, holder);
    if (!checked.ok) return checked;
    const { job, fanOut } = checked;
    fanOut.parts[index] = { ...(fanOut.parts[index] as PartState), holder: null, done_units: 0 };
    const next: Job = { ...job, engine_seconds: addSeconds(job.engine_seconds, failure.engineSeconds) };
    const saved = await this.save(next, fanOut, "parts");
    await recordMetric(this.host.env, { name: "job_retried", kind: job.kind, error_code: failure.error.code });
    return { ok: true, job: saved };
  }

  /**
   * Part `index` is finished: done, or failed for good with `error`. Settling a part twice changes
   * nothing. When the last part settles, the merge step is queued. `dead`: the dead-letter consumer
   * settles a part whose messages all died, whoever last held it.
   */
  async settle(
    attempt: number,
    index: number,
    holder: string,
    outcome: { error?: JobError; engineSeconds?: number; dead?: boolean },
  ): Promise<PartSettleResult> {
    const job = await this.host.load();
    if (!job) return { ok: false, code: "not_found", job: null };
    const fanOut = await this.host.store.get("fanout");
    const part = fanOut?.parts[index];
    if (!fanOut || !part || fanOut.attempt !== attempt || job.attempts !== attempt || job.status !== "processing") {
      return { ok: false, code: "stale_attempt", job };
    }
    if (part.state !== "pending") {
      // A duplicate, perhaps of the message whose merge request was lost: ask for the merge again.
      if (fanOut.parts.every((p) => p.state !== "pending")) await this.host.enqueue(job, [{ step: "merge", attempt }]);
      return { ok: false, code: "invalid_transition", job };
    }
    if (part.holder !== holder && !outcome.dead) return { ok: false, code: "stale_attempt", job };
    const settled: PartState = {
      ...part,
      state: outcome.error ? "failed" : "done",
      holder: null,
      done_units: outcome.error ? 0 : rangeUnits(part.range),
      error: outcome.error ?? null,
    };
    fanOut.parts[index] = settled;
    const parts = job.parts ?? { total: fanOut.parts.length, done: 0, failed: [] };
    const next: Job = {
      ...job,
      engine_seconds: addSeconds(job.engine_seconds, outcome.engineSeconds ?? 0),
      parts: outcome.error
        ? { ...parts, failed: [...parts.failed, { part: index, range: part.range, ...outcome.error }] }
        : { ...parts, done: parts.done + 1 },
    };
    const saved = await this.save(next, fanOut, "parts");
    const complete = fanOut.parts.every((p) => p.state !== "pending");
    if (complete) await this.host.enqueue(saved, [{ step: "merge", attempt }]);
    return { ok: true, job: saved, complete };
  }

  /** The parts of a fanned-out attempt (null when the attempt did not fan out). */
  async of(attempt: number): Promise<Pick<PartState, "range" | "state" | "error" | "claims">[] | null> {
    const fanOut = await this.host.store.get("fanout");
    if (fanOut?.attempt !== attempt) return null;
    return fanOut.parts.map(({ range, state, error, claims }) => ({ range, state, error, claims }));
  }

  private async held(
    attempt: number,
    index: number,
    holder: string,
  ): Promise<
    | { ok: true; job: Job; fanOut: FanOut }
    | { ok: false; code: "not_found" | "stale_attempt"; from: JobStatus | null; job: Job | null }
  > {
    const job = await this.host.load();
    if (!job) return { ok: false, code: "not_found", from: null, job: null };
    const fanOut = await this.host.store.get("fanout");
    const part = fanOut?.parts[index];
    const holds =
      fanOut?.attempt === attempt &&
      job.attempts === attempt &&
      job.status === "processing" &&
      part?.state === "pending" &&
      part.holder === holder;
    return holds && fanOut ? { ok: true, job, fanOut } : { ok: false, code: "stale_attempt", from: job.status, job };
  }

  /** Stores the parts and the job with progress summed over them, and tells the sockets. */
  async save(job: Job, fanOut: FanOut, stage: string): Promise<Job> {
    const pages = fanOut.parts[0]?.range.unit === "pages";
    const next: Job = {
      ...job,
      updated_at: new Date().toISOString(),
      progress: {
        done: fanOut.parts.reduce((sum, part) => sum + part.done_units, 0),
        total: fanOut.parts.reduce((sum, part) => sum + rangeUnits(part.range), 0),
        unit: pages ? "pages" : "seconds",
        stage,
      },
    };
    await this.host.refreshMirror(next);
    await this.host.publishProgress(next, { fanout: fanOut });
    return next;
  }
}

/** Engine seconds, kept to the millisecond. */
export const addSeconds = (total: number, more: number) => Math.round((total + more) * 1000) / 1000;
