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
  type StatusChange,
} from "../../contracts";
import { loadConfig } from "../config";
import { insertJobRow, refreshJobRow, updateJobRow } from "../db/jobs-table";
import { randomBase62, sha256Hex } from "../lib/crypto";
import { toResource } from "../services/job-resource";
import { recordMetric } from "../services/metrics";
import { enqueueWork } from "../services/work-queue";
import {
  addSeconds,
  type CoordinatorLimits,
  type PartClaimResult,
  type PartSettleResult,
  PartsLedger,
  type TransitionResult,
} from "./coordinator-parts";
import { CoordinatorStorage, type FanOut, type Lease, type Outbox } from "./coordinator-storage";
import { runWatchdog, type WatchdogHost } from "./coordinator-watchdog";

export type { PartClaimResult, PartSettleResult, TransitionResult };

export type ClaimResult =
  | { ok: true; job: Job; attempt: number }
  | { ok: false; reason: "not_found" | "finished" | "busy"; job: Job | null };

const TICKET_TTL_MS = 60_000;
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
  /** What the parts kept apart (fan-out, watchdog) may use of this object. */
  private readonly host: WatchdogHost = {
    env: this.env,
    store: this.store,
    load: () => this.load(),
    limits: () => this.limits(),
    refreshMirror: (job) => this.refreshMirror(job),
    publishProgress: (job, values) => this.publishProgress(job, values),
    applyTransition: (job, to, patch) => this.applyTransition(job, to, patch),
    saveParts: (job, fanOut, stage) => this.parts.save(job, fanOut, stage),
  };
  private readonly parts = new PartsLedger(this.host);

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
        await this.publishProgress(next, { lease: { attempt: next.attempts, holder } });
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
      await this.publishProgress(next);
      return { ok: true, job: next };
    });
  }

  /** Splits the attempt's work into parts (fan-out): see PartsLedger.fanOut. */
  fanOut(attempt: number, ranges: PartRange[]): Promise<TransitionResult & { ranges?: PartRange[] }> {
    return this.exclusive(() => this.parts.fanOut(attempt, ranges));
  }

  /** Takes part `index` for the work message `holder`: see PartsLedger.claim. */
  claimPart(attempt: number, index: number, holder: string): Promise<PartClaimResult> {
    return this.exclusive(() => this.parts.claim(attempt, index, holder));
  }

  reportPart(attempt: number, index: number, holder: string, doneUnits: number): Promise<TransitionResult> {
    return this.exclusive(() => this.parts.report(attempt, index, holder, doneUnits));
  }

  releasePart(
    attempt: number,
    index: number,
    holder: string,
    failure: { error: JobError; engineSeconds: number },
  ): Promise<TransitionResult> {
    return this.exclusive(() => this.parts.release(attempt, index, holder, failure));
  }

  settlePart(
    attempt: number,
    index: number,
    holder: string,
    outcome: { error?: JobError; engineSeconds?: number; dead?: boolean },
  ): Promise<PartSettleResult> {
    return this.exclusive(() => this.parts.settle(attempt, index, holder, outcome));
  }

  partsOf(attempt: number): ReturnType<PartsLedger["of"]> {
    return this.parts.of(attempt);
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

  /** The watchdog (coordinator-watchdog.ts), and the outbox's webhook event. */
  override alarm(): Promise<void> {
    return this.exclusive(() => runWatchdog(this.host));
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

  private limits(): CoordinatorLimits {
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

  /** Stores a change within the job's status (with `values`) as a progress event, and tells the sockets. */
  private async publishProgress(job: Job, values: { lease?: Lease; fanout?: FanOut } = {}): Promise<void> {
    const seq = await this.store.nextSeq();
    await this.store.put({ job, seq, ...values });
    await this.scheduleWatchdog(job);
    this.broadcast({ seq, type: "progress", from: null, at: job.updated_at, job });
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
