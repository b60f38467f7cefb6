import { DurableObject } from "cloudflare:workers";
import {
  canReplay,
  canTransition,
  createLogger,
  isTerminal,
  type Job,
  type JobError,
  type JobProgress,
  type JobStatus,
  type PartRange,
  type StatusChange,
} from "../../contracts";
import { loadConfig } from "../config";
import { insertJobRow } from "../db/jobs-table";
import { recordMetric } from "../services/metrics";
import { enqueueWork } from "../services/work-queue";
import { JobMirror } from "./coordinator-mirror";
import {
  addSeconds,
  type CoordinatorLimits,
  coordinatorLimits,
  type PartClaimResult,
  type PartSettleResult,
  PartsLedger,
  type TransitionResult,
} from "./coordinator-parts";
import { SocketHub } from "./coordinator-sockets";
import { CoordinatorStorage, type FanOut, type Lease, type Outbox } from "./coordinator-storage";
import { runWatchdog, scheduleWatchdog, type WatchdogHost } from "./coordinator-watchdog";

export type { PartClaimResult, PartSettleResult, TransitionResult };

export type ClaimResult =
  | { ok: true; job: Job; attempt: number }
  | { ok: false; reason: "not_found" | "finished" | "busy"; job: Job | null };

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

  /** Runs `fn` after every change already started has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private readonly store = new CoordinatorStorage(this.ctx.storage);
  private readonly sockets = new SocketHub(this.ctx, this.store);
  private readonly mirror = new JobMirror(this.env, this.store);
  /** What the parts kept apart (fan-out, watchdog) may use of this object. */
  private readonly host: WatchdogHost = {
    env: this.env,
    store: this.store,
    load: () => this.load(),
    limits: () => this.limits(),
    refreshMirror: (job) => this.mirror.refresh(job),
    publishProgress: (job, values) => this.publishProgress(job, values),
    applyTransition: (job, to, patch) => this.applyTransition(job, to, patch),
    saveParts: (job, fanOut, stage) => this.parts.save(job, fanOut, stage),
    enqueue: (job, steps) => enqueueWork(this.env, loadConfig(this.env), job, steps),
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
        await this.mirror.write(next);
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
      await this.mirror.write(next);
      await this.store.put({ queued_since: Date.now() });
      await this.store.delete("recoveries");
      await this.record(job.status, next);
      await this.host.enqueue(next);
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
      if (next.file.pages !== job.file.pages || next.file.duration_s !== job.file.duration_s)
        await this.mirror.write(next);
      else await this.mirror.refresh(next);
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
    return (await this.load()) ? this.sockets.issueTicket() : null;
  }

  /** WebSocket upgrade (coordinator-sockets.ts). */
  override async fetch(request: Request): Promise<Response> {
    const job = await this.load();
    return job ? this.sockets.open(request, job) : new Response("not found", { status: 404 });
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.sockets.answer(ws, message);
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    this.sockets.closed(ws, code);
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
    await this.mirror.write(next);
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
      this.sockets.closeAll("job deleted");
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
    return coordinatorLimits(loadConfig(this.env));
  }

  private scheduleWatchdog(job: Job): Promise<void> {
    return scheduleWatchdog(this.store, this.limits(), job);
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
    this.sockets.broadcast({ seq, type: "status", from, at: job.updated_at, job });
    if (isTerminal(job.status)) this.sockets.closeAll("job finished");
  }

  /** Stores a change within the job's status (with `values`) as a progress event, and tells the sockets. */
  private async publishProgress(job: Job, values: { lease?: Lease; fanout?: FanOut } = {}): Promise<void> {
    const seq = await this.store.nextSeq();
    await this.store.put({ job, seq, ...values });
    await this.scheduleWatchdog(job);
    this.sockets.broadcast({ seq, type: "progress", from: null, at: job.updated_at, job });
  }
}
