import { DurableObject } from "cloudflare:workers";
import {
  canReplay,
  canTransition,
  createLogger,
  isTerminal,
  type Job,
  type JobError,
  type JobEvent,
  type JobProgress,
  type JobStatus,
  type PartRange,
  rangeUnits,
  type StatusChange,
} from "../../contracts";
import { loadConfig } from "../config";
import { insertJobRow, refreshJobRow, updateJobRow } from "../db/jobs-table";
import { randomBase62, sha256Hex } from "../lib/crypto";
import { toResource } from "../services/job-resource";
import { recordMetric } from "../services/metrics";
import { publishJobEvent } from "../services/webhooks";
import { enqueueWork } from "../services/work-queue";
import { CoordinatorStorage, type FanOut, type Lease, type Outbox, type PartState } from "./coordinator-storage";

export type TransitionResult =
  | { ok: true; job: Job }
  | {
      ok: false;
      /** `stale_attempt`: the caller's claim was taken over by a newer attempt; its work no longer counts. */
      code: "invalid_transition" | "not_found" | "stale_attempt";
      from: JobStatus | null;
      job: Job | null;
    };

export type ClaimResult =
  | { ok: true; job: Job; attempt: number }
  | { ok: false; reason: "not_found" | "finished" | "busy"; job: Job | null };

export type PartClaimResult =
  | { ok: true; job: Job }
  | { ok: false; reason: "not_found" | "finished" | "stale" | "busy" | "settled"; job: Job | null };

export type PartSettleResult =
  | { ok: true; job: Job; complete: boolean }
  | { ok: false; code: "not_found" | "stale_attempt" | "invalid_transition"; job: Job | null };

const TICKET_TTL_MS = 60_000;
/** Re-sends of a waiting job's work back off up to 2^this × JOB_QUEUED_RESEND_SECONDS apart. */
const MAX_RESEND_DOUBLINGS = 4;
/** When a watchdog run fails (D1 unreachable), it runs again this soon. */
const WATCHDOG_RETRY_MS = 60_000;
/** Progress refreshes the job's D1 copy at most this often (lists and stuck-job checks read it). */
const PROGRESS_MIRROR_MS = 60_000;

/**
 * One instance per job (named by the job id). The single writer of the job's state: every status
 * change goes through `canTransition`, is recorded with a timestamp, mirrored to D1 for listing,
 * and pushed to the job's WebSockets (hibernatable: idle sockets cost nothing).
 *
 * Changes run one at a time (`exclusive`): a Durable Object interleaves calls while one awaits I/O
 * such as the D1 mirror, so without it two claims or two terminal transitions could both pass.
 *
 * Work is leased: a consumer `claim`s the job and gets an attempt number, which its reports and its
 * final transition must carry, so a consumer whose lease was taken over cannot change the job. An
 * alarm watches every non-terminal job: a queued job nobody picks up has its message sent again
 * (and fails after JOB_MAX_QUEUED_SECONDS), a processing job that stops reporting is requeued, and
 * after JOB_MAX_RECOVERIES such recoveries it fails.
 */
export class JobCoordinator extends DurableObject<Env> {
  private tail: Promise<unknown> = Promise.resolve();
  /** When progress last refreshed the D1 copy (this instance's memory: after a restart, at once). */
  private progressMirroredAt = 0;

  /** Runs `fn` after every change already started has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private readonly store = new CoordinatorStorage(this.ctx.storage);

  private load(): Promise<Job | null> {
    return this.store.job();
  }

  async get(): Promise<Job | null> {
    return this.load();
  }

  /** When the watchdog next looks at the job (null when it is terminal). */
  async watchdogAt(): Promise<string | null> {
    const at = await this.store.getAlarm();
    return at === null ? null : new Date(at).toISOString();
  }

  history(): Promise<StatusChange[]> {
    return this.store.history();
  }

  /** Creates the job (queued) and its D1 row. Calling it again returns the existing job unchanged. */
  create(job: Job): Promise<Job> {
    return this.exclusive(async () => {
      const existing = await this.load();
      if (existing) return existing;
      // ON CONFLICT: a retry after this object died between the insert and its own write.
      await insertJobRow(this.env.DB, job);
      await this.store.put({ queued_since: Date.parse(job.created_at) });
      await this.record(null, job);
      return job;
    });
  }

  /**
   * Takes the job for processing on behalf of `holder` (the queue message's id). A queued job moves
   * to `processing`. A processing job is taken over with a new attempt number when its holder has
   * gone silent for JOB_STALL_SECONDS, or when `holder` already held it (the message is being
   * redelivered because that delivery died). Otherwise it is `busy`: a duplicate delivery, which the
   * caller drops (if the live holder dies, the watchdog sends the work again).
   */
  claim(holder: string): Promise<ClaimResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, reason: "not_found", job: null };
      if (isTerminal(job.status)) return { ok: false, reason: "finished", job };
      const lease = await this.store.get("lease");
      if (job.status === "processing") {
        const silent = Date.now() - Date.parse(job.updated_at) >= this.limits().stallMs;
        if (!silent && lease?.holder !== holder) return { ok: false, reason: "busy", job };
        // The delivery that fanned this attempt out died before it was acknowledged: its parts are
        // already out, so the redelivery continues the attempt instead of starting over.
        const fanOut = await this.store.get("fanout");
        if (!silent && fanOut?.attempt === job.attempts) return { ok: true, job, attempt: job.attempts };
      }
      // The attempt budget is spent here, where attempts are taken, so even deliveries that crash
      // before deciding anything (and are retried by the queue) cannot loop past it.
      const charged = job.attempts - (await this.store.count("free_attempts"));
      const maxAttempts = this.limits().maxAttempts * (1 + job.replays);
      if (charged >= maxAttempts) {
        const failed = await this.applyTransition(job, "failed", {
          error: {
            code: "budget_exceeded",
            message: `used its ${maxAttempts} processing attempts; last error: ${job.error?.code ?? "none"}`,
          },
        });
        return { ok: false, reason: "finished", job: failed };
      }
      if (job.status === "processing") {
        const next: Job = { ...job, attempts: job.attempts + 1, updated_at: new Date().toISOString() };
        // A takeover is no status change, but the listing and the sockets should see the new attempt.
        await this.mirror(next);
        const seq = await this.store.nextSeq();
        await this.store.put({ job: next, seq, lease: { attempt: next.attempts, holder } satisfies Lease });
        await this.scheduleWatchdog(next);
        this.broadcast({ seq, type: "progress", from: null, at: next.updated_at, job: next });
        return { ok: true, job: next, attempt: next.attempts };
      }
      const started = await this.applyTransition(job, "processing", {});
      await this.store.put({ lease: { attempt: started.attempts, holder } satisfies Lease });
      return { ok: true, job: started, attempt: started.attempts };
    });
  }

  /**
   * Moves the job to `to` if the state machine allows it (and, when `attempt` is given, only if that
   * attempt still holds the job); otherwise refuses and changes nothing.
   */
  transition(
    to: JobStatus,
    patch: { error?: JobError; engineSeconds?: number; freeAttempt?: boolean } = {},
    attempt?: number,
  ): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      // An attempt speaks only for a job it is still processing: after a requeue it has no say.
      if (attempt !== undefined && (attempt !== job.attempts || job.status !== "processing")) {
        return { ok: false, code: "stale_attempt", from: job.status, job };
      }
      if (patch.freeAttempt) {
        // A refusal by a busy runner is back-pressure, not a failed try: it costs no budget.
        await this.store.put({ free_attempts: (await this.store.count("free_attempts")) + 1 });
      }
      if (!canTransition(job.status, to)) return { ok: false, code: "invalid_transition", from: job.status, job };
      return { ok: true, job: await this.applyTransition(job, to, patch) };
    });
  }

  /**
   * An operator's replay of a failed job (`canReplay`): back to `queued` with a fresh budget, and its
   * work sent again. Anything else is refused unchanged, so replaying twice is harmless.
   */
  replay(): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      if (!canReplay(job.status, job.error?.code) || (await this.store.get("deleting"))) {
        return { ok: false, code: "invalid_transition", from: job.status, job };
      }
      const next: Job = {
        ...job,
        status: "queued",
        replays: job.replays + 1,
        error: null,
        progress: null,
        parts: null,
        finished_at: null,
        updated_at: new Date().toISOString(),
      };
      await this.mirror(next);
      await this.store.put({ queued_since: Date.now() });
      await this.store.delete("recoveries");
      await this.record(job.status, next);
      await enqueueWork(this.env, next);
      return { ok: true, job: next };
    });
  }

  /** Progress and file facts found while processing (pages, duration). Only from the lease's attempt. */
  report(
    update: { progress?: JobProgress; pages?: number | null; duration_s?: number | null },
    attempt?: number,
  ): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      if (attempt !== undefined && attempt !== job.attempts) {
        return { ok: false, code: "stale_attempt", from: job.status, job };
      }
      if (job.status !== "processing") return { ok: false, code: "invalid_transition", from: job.status, job };
      const next: Job = {
        ...job,
        updated_at: new Date().toISOString(),
        progress: update.progress ?? job.progress,
        file: {
          ...job.file,
          pages: update.pages !== undefined ? update.pages : job.file.pages,
          duration_s: update.duration_s !== undefined ? update.duration_s : job.file.duration_s,
        },
      };
      if (next.file.pages !== job.file.pages || next.file.duration_s !== job.file.duration_s) await this.mirror(next);
      else await this.refreshMirror(next);
      const seq = await this.store.nextSeq();
      await this.store.put({ job: next, seq });
      await this.scheduleWatchdog(next);
      this.broadcast({ seq, type: "progress", from: null, at: next.updated_at, job: next });
      return { ok: true, job: next };
    });
  }

  /**
   * Splits the attempt's work into parts (fan-out). Only the attempt holding the job may; asking
   * again for the same attempt returns the parts it already has, so a redelivered message cannot
   * split the job twice.
   */
  fanOut(attempt: number, ranges: PartRange[]): Promise<TransitionResult & { ranges?: PartRange[] }> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      if (attempt !== job.attempts || job.status !== "processing") {
        return { ok: false, code: "stale_attempt", from: job.status, job };
      }
      const existing = await this.store.get("fanout");
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
      return { ok: true, job: await this.saveParts(next, fanOut, "parts"), ranges };
    });
  }

  /**
   * Takes part `index` of a fanned-out attempt for the work message `holder`. Refused when the job
   * ended or moved on (`finished`, `stale`), when the part is done or failed (`settled`: a duplicate
   * delivery), or when another live message works on it (`busy`); a holder silent for
   * JOB_STALL_SECONDS loses the part to the next delivery.
   */
  claimPart(attempt: number, index: number, holder: string): Promise<PartClaimResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, reason: "not_found", job: null };
      if (isTerminal(job.status)) return { ok: false, reason: "finished", job };
      const fanOut = await this.store.get("fanout");
      const part = fanOut?.parts[index];
      if (!fanOut || !part || fanOut.attempt !== attempt || job.attempts !== attempt || job.status !== "processing") {
        return { ok: false, reason: "stale", job };
      }
      if (part.state !== "pending") return { ok: false, reason: "settled", job };
      const live = part.holder !== null && Date.now() - part.heard_at < this.limits().stallMs;
      if (live && part.holder !== holder) return { ok: false, reason: "busy", job };
      fanOut.parts[index] = { ...part, holder, heard_at: Date.now(), done_units: 0, claims: part.claims + 1 };
      await this.store.put({ fanout: fanOut });
      return { ok: true, job };
    });
  }

  /** Progress of a part from its holder: `doneUnits` pages of it finished. Keeps the job from looking stalled. */
  reportPart(attempt: number, index: number, holder: string, doneUnits: number): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const checked = await this.heldPart(attempt, index, holder);
      if (!checked.ok) return checked;
      const { job, fanOut } = checked;
      const part = fanOut.parts[index] as PartState;
      fanOut.parts[index] = { ...part, heard_at: Date.now(), done_units: Math.min(doneUnits, rangeUnits(part.range)) };
      return { ok: true, job: await this.saveParts(job, fanOut, "parts") };
    });
  }

  /**
   * A part's holder gives it back to be retried later (its message goes back to the queue) after
   * `error`, adding the engine time it spent to the job's budget. Counted as a retry in the metrics.
   */
  releasePart(
    attempt: number,
    index: number,
    holder: string,
    failure: { error: JobError; engineSeconds: number },
  ): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const checked = await this.heldPart(attempt, index, holder);
      if (!checked.ok) return checked;
      const { job, fanOut } = checked;
      fanOut.parts[index] = { ...(fanOut.parts[index] as PartState), holder: null, done_units: 0 };
      const next: Job = { ...job, engine_seconds: addSeconds(job.engine_seconds, failure.engineSeconds) };
      const saved = await this.saveParts(next, fanOut, "parts");
      await recordMetric(this.env, { name: "job_retried", kind: job.kind, error_code: failure.error.code });
      return { ok: true, job: saved };
    });
  }

  /**
   * Part `index` is finished: done, or failed for good with `error`. Settling a part twice changes
   * nothing. When the last part settles, the merge step is queued. `dead`: the dead-letter consumer
   * settles a part whose messages all died, whoever last held it.
   */
  settlePart(
    attempt: number,
    index: number,
    holder: string,
    outcome: { error?: JobError; engineSeconds?: number; dead?: boolean },
  ): Promise<PartSettleResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", job: null };
      const fanOut = await this.store.get("fanout");
      const part = fanOut?.parts[index];
      if (!fanOut || !part || fanOut.attempt !== attempt || job.attempts !== attempt || job.status !== "processing") {
        return { ok: false, code: "stale_attempt", job };
      }
      if (part.state !== "pending") {
        // A duplicate, perhaps of the message whose merge request was lost: ask for the merge again.
        if (fanOut.parts.every((p) => p.state !== "pending"))
          await enqueueWork(this.env, job, [{ step: "merge", attempt }]);
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
      const saved = await this.saveParts(next, fanOut, "parts");
      const complete = fanOut.parts.every((p) => p.state !== "pending");
      if (complete) await enqueueWork(this.env, saved, [{ step: "merge", attempt }]);
      return { ok: true, job: saved, complete };
    });
  }

  /** The parts of a fanned-out attempt (null when the attempt did not fan out). */
  async partsOf(attempt: number): Promise<Pick<PartState, "range" | "state" | "error" | "claims">[] | null> {
    const fanOut = await this.store.get("fanout");
    if (fanOut?.attempt !== attempt) return null;
    return fanOut.parts.map(({ range, state, error, claims }) => ({ range, state, error, claims }));
  }

  private async heldPart(
    attempt: number,
    index: number,
    holder: string,
  ): Promise<
    | { ok: true; job: Job; fanOut: FanOut }
    | { ok: false; code: "not_found" | "stale_attempt"; from: JobStatus | null; job: Job | null }
  > {
    const job = await this.load();
    if (!job) return { ok: false, code: "not_found", from: null, job: null };
    const fanOut = await this.store.get("fanout");
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
  private async saveParts(job: Job, fanOut: FanOut, stage: string): Promise<Job> {
    const pages = fanOut.parts[0]?.range.unit === "pages";
    const next: Job = {
      ...job,
      updated_at: new Date().toISOString(),
      progress: {
        done: fanOut.parts.reduce((sum, part) => sum + (pages ? part.done_units : part.state === "done" ? 1 : 0), 0),
        total: pages ? fanOut.parts.reduce((sum, part) => sum + rangeUnits(part.range), 0) : fanOut.parts.length,
        unit: pages ? "pages" : "chunks",
        stage,
      },
    };
    await this.refreshMirror(next);
    const seq = await this.store.nextSeq();
    await this.store.put({ job: next, seq, fanout: fanOut });
    await this.scheduleWatchdog(next);
    this.broadcast({ seq, type: "progress", from: null, at: next.updated_at, job: next });
    return next;
  }

  /**
   * A single-use ticket that lets a browser open the job's WebSocket without an Authorization header;
   * null when there is no job (deleted meanwhile): nothing is stored for it.
   */
  async issueTicket(): Promise<{ ticket: string; expires_at: string } | null> {
    if (!(await this.load())) return null;
    const ticket = randomBase62(32);
    const expires = Date.now() + TICKET_TTL_MS;
    await this.store.putTicket(await sha256Hex(ticket), expires);
    return { ticket, expires_at: new Date(expires).toISOString() };
  }

  private async redeemTicket(ticket: string): Promise<boolean> {
    const expires = await this.store.takeTicket(await sha256Hex(ticket));
    return expires !== undefined && expires > Date.now();
  }

  /**
   * WebSocket upgrade, forwarded by the API after it checked the caller owns the job
   * (or carrying a ticket this object issued). Sends the current state at once.
   */
  override async fetch(request: Request): Promise<Response> {
    const job = await this.load();
    if (!job) return new Response("not found", { status: 404 });
    const ticket = new URL(request.url).searchParams.get("ticket");
    if (request.headers.get("x-verbatim-authorized") !== "owner" && !(ticket && (await this.redeemTicket(ticket)))) {
      return new Response("forbidden", { status: 403 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const seq = await this.store.count("seq");
    const snapshot: JobEvent = {
      seq,
      type: "snapshot",
      at: new Date().toISOString(),
      from: null,
      job: toResource(job),
      history: await this.history(),
    };
    server.send(JSON.stringify(snapshot));
    if (isTerminal(job.status)) server.close(1000, "job finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The socket is one-way; answering "ping" lets clients check liveness without a poll. A message
    // can arrive after this side closed the socket (a finished job's): there is no one to answer.
    if (message === "ping" && ws.readyState === WebSocket.OPEN) ws.send("pong");
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005, 1006 and 1015 describe how a socket ended and may not be sent back; a socket this side
    // already closed needs no answer.
    if (ws.readyState === WebSocket.CLOSED) return;
    ws.close([1005, 1006, 1015].includes(code) ? 1000 : code, "closing");
  }

  /**
   * The watchdog, run when a job has been quiet for its limit. A queued job nobody picked up has its
   * work sent again (not counted: a long backlog is not a fault) until it has waited
   * JOB_MAX_QUEUED_SECONDS in all; a processing job whose holder went silent is requeued, which
   * counts as a recovery; past JOB_MAX_RECOVERIES, or past the queued limit, the job fails.
   */
  override alarm(): Promise<void> {
    return this.exclusive(async () => {
      const job = await this.load();
      const outbox = await this.store.get("outbox");
      if (job && outbox) {
        // The terminal status's webhook event: queued here, after the status is stored, and again
        // (a retry armed first) until that works.
        await this.store.setAlarm(Date.now() + WATCHDOG_RETRY_MS);
        await publishJobEvent(this.env, job, outbox.event_id);
        await this.store.delete("outbox");
        if (isTerminal(job.status)) await this.store.deleteAlarm();
      }
      if (!job || isTerminal(job.status)) return;
      // If this run fails (D1 down), the watchdog must still come back: arm a retry first; every
      // successful path below sets the real next time.
      await this.store.setAlarm(Date.now() + WATCHDOG_RETRY_MS);
      const { stallMs, queuedMs, maxQueuedMs, maxRecoveries } = this.limits();
      if (job.status === "queued") {
        const since = (await this.store.get("queued_since")) ?? Date.parse(job.created_at);
        const deadline = since + maxQueuedMs;
        if (Date.now() >= deadline) {
          const waited = Math.round((Date.now() - since) / 1000);
          await this.applyTransition(job, "failed", {
            error: { code: "job_stalled", message: `waited ${waited} s in the queue without being processed` },
          });
          return;
        }
        // Re-sends back off (×2 each, up to ×16), so a long backlog is not swelled by duplicates.
        const resends = await this.store.count("queued_resends");
        const due = Date.parse(job.updated_at) + queuedMs * 2 ** Math.min(resends, MAX_RESEND_DOUBLINGS);
        if (Date.now() < due) {
          await this.store.setAlarm(Math.min(due, deadline));
          return;
        }
        const touched: Job = { ...job, updated_at: new Date().toISOString() };
        const next = Date.now() + queuedMs * 2 ** Math.min(resends + 1, MAX_RESEND_DOUBLINGS);
        await this.store.put({ job: touched, queued_resends: resends + 1 });
        await this.store.setAlarm(Math.min(next, deadline));
        await enqueueWork(this.env, touched);
        return;
      }
      const quietMs = Date.now() - Date.parse(job.updated_at);
      if (quietMs < stallMs) {
        await this.store.setAlarm(Date.parse(job.updated_at) + stallMs);
        return;
      }
      const quiet = `no progress for ${Math.round(quietMs / 1000)} s while ${job.status}`;
      const recoveries = await this.store.count("recoveries");
      if (recoveries >= maxRecoveries) {
        await this.applyTransition(job, "failed", {
          error: { code: "job_stalled", message: `${quiet}; gave up after ${recoveries} recoveries` },
        });
        return;
      }
      const fanOut = await this.store.get("fanout");
      if (fanOut?.attempt === job.attempts) {
        // A fanned-out job keeps its finished parts: only the unfinished ones (or the merge) go out again.
        const pending = fanOut.parts.flatMap((part, index) => (part.state === "pending" ? [index] : []));
        for (const index of pending) fanOut.parts[index] = { ...(fanOut.parts[index] as PartState), holder: null };
        const touched = await this.saveParts(job, fanOut, "parts");
        await this.store.put({ recoveries: recoveries + 1 });
        await enqueueWork(
          this.env,
          touched,
          pending.length > 0
            ? pending.map((index) => ({
                step: "part" as const,
                attempt: job.attempts,
                index,
                range: (fanOut.parts[index] as PartState).range,
              }))
            : [{ step: "merge", attempt: job.attempts }],
        );
        return;
      }
      const requeued = await this.applyTransition(job, "queued", {
        error: { code: "job_stalled", message: `${quiet}; requeued` },
      });
      await this.store.put({ recoveries: recoveries + 1 }); // counted once the requeue happened
      await enqueueWork(this.env, requeued);
    });
  }

  /**
   * Applies a status change the caller has checked. The D1 mirror is written first, so a failed
   * write leaves the job exactly as it was.
   */
  private async applyTransition(
    job: Job,
    to: JobStatus,
    patch: { error?: JobError; engineSeconds?: number },
  ): Promise<Job> {
    const at = new Date().toISOString();
    const next: Job = {
      ...job,
      status: to,
      updated_at: at,
      error: patch.error ?? (to === "failed" ? job.error : null),
      attempts: to === "processing" ? job.attempts + 1 : job.attempts,
      engine_seconds: addSeconds(job.engine_seconds, patch.engineSeconds ?? 0),
      started_at: to === "processing" ? (job.started_at ?? at) : job.started_at,
      finished_at: isTerminal(to) ? at : null,
      progress: to === "queued" ? null : job.progress,
      parts: to === "queued" ? null : job.parts,
    };
    await this.mirror(next);
    if (to === "queued") await this.store.put({ queued_since: Date.now() });
    if (to === "queued" || to === "processing") await this.store.delete("queued_resends");
    await this.record(job.status, next);
    if (isTerminal(to)) await recordMetric(this.env, { name: "job_ended", job: next });
    else if (job.status === "processing" && to === "queued") {
      await recordMetric(this.env, { name: "job_retried", kind: next.kind, error_code: next.error?.code ?? null });
    }
    return next;
  }

  /**
   * The first step of deleting a job that ended: from here on nothing of it is sent or restarted (a
   * webhook event not sent yet is dropped, a replay refused), while its data is deleted elsewhere.
   * Refused while the job runs. Sealing again is harmless.
   */
  seal(): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      if (!isTerminal(job.status)) return { ok: false, code: "invalid_transition", from: job.status, job };
      await this.store.deleteAlarm();
      await this.store.delete("outbox");
      await this.store.put({ deleting: true });
      return { ok: true, job };
    });
  }

  /**
   * The last step of deleting a job: closes its sockets and deletes everything this object stored.
   * Refused while the job runs.
   */
  erase(): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      if (!isTerminal(job.status)) return { ok: false, code: "invalid_transition", from: job.status, job };
      for (const ws of this.ctx.getWebSockets()) ws.close(1000, "job deleted");
      await this.store.deleteAlarm();
      await this.store.deleteAll();
      return { ok: true, job };
    });
  }

  /**
   * The dead-letter consumer's call: the work message `holder` died for good. A job it still holds
   * (processing under its lease) or waits for (queued) fails with `error`; anything else is untouched.
   */
  abandon(holder: string, error: JobError): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      const lease = await this.store.get("lease");
      const waiting = job.status === "queued";
      const heldByIt = job.status === "processing" && lease?.holder === holder;
      if (!waiting && !heldByIt) return { ok: false, code: "invalid_transition", from: job.status, job };
      return { ok: true, job: await this.applyTransition(job, "failed", { error }) };
    });
  }

  private limits() {
    const config = loadConfig(this.env);
    return {
      maxAttempts: config.JOB_MAX_ATTEMPTS,
      stallMs: config.JOB_STALL_SECONDS * 1000,
      queuedMs: config.JOB_QUEUED_RESEND_SECONDS * 1000,
      maxQueuedMs: config.JOB_MAX_QUEUED_SECONDS * 1000,
      maxRecoveries: config.JOB_MAX_RECOVERIES,
    };
  }

  private async scheduleWatchdog(job: Job): Promise<void> {
    if (isTerminal(job.status)) {
      // No more watching; the alarm only sends the outbox's webhook event, now.
      if (await this.store.get("outbox")) await this.store.setAlarm(Date.now());
      else await this.store.deleteAlarm();
      return;
    }
    const { stallMs, queuedMs } = this.limits();
    await this.store.setAlarm(Date.parse(job.updated_at) + (job.status === "processing" ? stallMs : queuedMs));
  }

  /**
   * Progress keeps the D1 copy of a processing job fresh (its `updated_at` and snapshot), at most
   * once per PROGRESS_MIRROR_MS, so lists show recent progress and a long healthy job is not taken
   * for a stuck one. Best effort: a failed write only waits for the next progress.
   */
  private async refreshMirror(job: Job): Promise<void> {
    if (Date.now() - this.progressMirroredAt < PROGRESS_MIRROR_MS) return;
    this.progressMirroredAt = Date.now();
    try {
      await refreshJobRow(this.env.DB, job);
    } catch (err) {
      createLogger("coordinator", loadConfig(this.env).LOG_LEVEL).warn("progress not mirrored", {
        request_id: job.request_id,
        job_id: job.id,
        error: String(err),
      });
    }
  }

  private async mirror(job: Job): Promise<void> {
    const fault = loadConfig(this.env).FAULT_INJECTION;
    if (fault.fail_d1_mirror_of === job.status) {
      const injected = await this.store.count("faults_injected");
      if (injected < fault.times) {
        await this.store.put({ faults_injected: injected + 1 });
        throw new Error(`D1 write failed (injected fault ${injected + 1} of ${fault.times})`);
      }
    }
    await updateJobRow(this.env.DB, job);
  }

  /** Persists a status change with its place in the history, then tells every open socket. */
  private async record(from: JobStatus | null, job: Job): Promise<void> {
    const seq = await this.store.nextSeq();
    const change: StatusChange = { seq, at: job.updated_at, from, to: job.status };
    // A terminal status is announced to webhooks from an outbox stored with it, so it is sent
    // even if this object dies right after; its id is stable: one event per terminal status.
    const outbox: Outbox | undefined = isTerminal(job.status) ? { event_id: `evt_${job.id}_${seq}` } : undefined;
    await this.store.recordChange(change, { job, seq, ...(outbox ? { outbox } : {}) });
    createLogger("coordinator", loadConfig(this.env).LOG_LEVEL).info("status changed", {
      request_id: job.request_id,
      job_id: job.id,
      user_id: job.user_id,
      from,
      to: job.status,
      attempt: job.attempts,
      ...(job.error ? { error_code: job.error.code } : {}),
    });
    await this.scheduleWatchdog(job);
    this.broadcast({ seq, type: "status", from, at: job.updated_at, job });
    if (isTerminal(job.status)) {
      for (const ws of this.ctx.getWebSockets()) ws.close(1000, "job finished");
    }
  }

  private broadcast(event: Omit<JobEvent, "job"> & { job: Job }) {
    const message: JobEvent = { ...event, job: toResource(event.job) };
    const text = JSON.stringify(message);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A socket closing under us misses this event; the next snapshot covers it.
      }
    }
  }
}

/** Engine seconds, kept to the millisecond. */
const addSeconds = (total: number, more: number) => Math.round((total + more) * 1000) / 1000;
