import { DurableObject } from "cloudflare:workers";
import {
  canReplay,
  canTransition,
  createLogger,
  isTerminal,
  Job,
  type JobError,
  type JobEvent,
  type JobProgress,
  type JobStatus,
  type StatusChange,
} from "../../contracts";
import { loadConfig } from "../config";
import { randomBase62, sha256Hex } from "../lib/crypto";
import { toResource } from "../services/job-resource";
import { enqueueWork } from "../services/job-service";
import { recordMetric } from "../services/metrics";

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

type Lease = { attempt: number; holder: string };

const TICKET_TTL_MS = 60_000;
/** Re-sends of a waiting job's work back off up to 2^this × JOB_QUEUED_RESEND_SECONDS apart. */
const MAX_RESEND_DOUBLINGS = 4;
/** When a watchdog run fails (D1 unreachable), it runs again this soon. */
const WATCHDOG_RETRY_MS = 60_000;

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

  private async load(): Promise<Job | null> {
    // Storage reads are served from the object's in-memory cache, so there is no second copy here.
    const stored = await this.ctx.storage.get<unknown>("job");
    // Parsing fills fields added to the contract since the job was stored (with their defaults).
    return stored === undefined ? null : Job.parse(stored);
  }

  async get(): Promise<Job | null> {
    return this.load();
  }

  /** When the watchdog next looks at the job (null when it is terminal). */
  async watchdogAt(): Promise<string | null> {
    const at = await this.ctx.storage.getAlarm();
    return at === null ? null : new Date(at).toISOString();
  }

  async history(): Promise<StatusChange[]> {
    const events = await this.ctx.storage.list<StatusChange>({ prefix: "event:" });
    return [...events.values()];
  }

  /** Creates the job (queued) and its D1 row. Calling it again returns the existing job unchanged. */
  create(job: Job): Promise<Job> {
    return this.exclusive(async () => {
      const existing = await this.load();
      if (existing) return existing;
      // ON CONFLICT: a retry after this object died between the insert and its own write.
      await this.env.DB.prepare(
        `INSERT INTO jobs (id, user_id, kind, status, file_name, file_size, file_mime, file_sha256, pages, duration_s,
          error_code, created_at, updated_at, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
      )
        .bind(
          job.id,
          job.user_id,
          job.kind,
          job.status,
          job.file.name,
          job.file.size,
          job.file.mime,
          job.file.sha256,
          job.file.pages,
          job.file.duration_s,
          null,
          job.created_at,
          job.updated_at,
          JSON.stringify(job),
        )
        .run();
      await this.ctx.storage.put("queued_since", Date.parse(job.created_at));
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
      const lease = await this.ctx.storage.get<Lease>("lease");
      if (job.status === "processing") {
        const silent = Date.now() - Date.parse(job.updated_at) >= this.limits().stallMs;
        if (!silent && lease?.holder !== holder) return { ok: false, reason: "busy", job };
      }
      // The attempt budget is spent here, where attempts are taken, so even deliveries that crash
      // before deciding anything (and are retried by the queue) cannot loop past it.
      const charged = job.attempts - ((await this.ctx.storage.get<number>("free_attempts")) ?? 0);
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
        const seq = ((await this.ctx.storage.get<number>("seq")) ?? 0) + 1;
        await this.ctx.storage.put({ job: next, seq, lease: { attempt: next.attempts, holder } satisfies Lease });
        await this.scheduleWatchdog(next);
        this.broadcast({ seq, type: "progress", from: null, at: next.updated_at, job: next });
        return { ok: true, job: next, attempt: next.attempts };
      }
      const started = await this.applyTransition(job, "processing", {});
      await this.ctx.storage.put("lease", { attempt: started.attempts, holder } satisfies Lease);
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
        await this.ctx.storage.put("free_attempts", ((await this.ctx.storage.get<number>("free_attempts")) ?? 0) + 1);
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
      if (!canReplay(job.status, job.error?.code)) {
        return { ok: false, code: "invalid_transition", from: job.status, job };
      }
      const next: Job = {
        ...job,
        status: "queued",
        replays: job.replays + 1,
        error: null,
        progress: null,
        finished_at: null,
        updated_at: new Date().toISOString(),
      };
      await this.mirror(next);
      await this.ctx.storage.put("queued_since", Date.now());
      await this.ctx.storage.delete("recoveries");
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
      const seq = ((await this.ctx.storage.get<number>("seq")) ?? 0) + 1;
      await this.ctx.storage.put({ job: next, seq });
      await this.scheduleWatchdog(next);
      this.broadcast({ seq, type: "progress", from: null, at: next.updated_at, job: next });
      return { ok: true, job: next };
    });
  }

  /** A single-use ticket that lets a browser open the job's WebSocket without an Authorization header. */
  async issueTicket(): Promise<{ ticket: string; expires_at: string }> {
    const now = Date.now();
    const stale = [...(await this.ctx.storage.list<number>({ prefix: "ticket:" })).entries()]
      .filter(([, expires]) => expires <= now)
      .map(([key]) => key);
    if (stale.length > 0) await this.ctx.storage.delete(stale);
    const ticket = randomBase62(32);
    const expires = now + TICKET_TTL_MS;
    await this.ctx.storage.put(`ticket:${await sha256Hex(ticket)}`, expires);
    return { ticket, expires_at: new Date(expires).toISOString() };
  }

  private async redeemTicket(ticket: string): Promise<boolean> {
    const key = `ticket:${await sha256Hex(ticket)}`;
    const expires = await this.ctx.storage.get<number>(key);
    if (expires === undefined) return false;
    await this.ctx.storage.delete(key);
    return expires > Date.now();
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
    const seq = (await this.ctx.storage.get<number>("seq")) ?? 0;
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
    // The socket is one-way; answering "ping" lets clients check liveness without a poll.
    if (message === "ping") ws.send("pong");
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // 1005, 1006 and 1015 describe how a socket ended and may not be sent back.
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
      if (!job || isTerminal(job.status)) return;
      // If this run fails (D1 down), the watchdog must still come back: arm a retry first; every
      // successful path below sets the real next time.
      await this.ctx.storage.setAlarm(Date.now() + WATCHDOG_RETRY_MS);
      const { stallMs, queuedMs, maxQueuedMs, maxRecoveries } = this.limits();
      if (job.status === "queued") {
        const since = (await this.ctx.storage.get<number>("queued_since")) ?? Date.parse(job.created_at);
        const deadline = since + maxQueuedMs;
        if (Date.now() >= deadline) {
          const waited = Math.round((Date.now() - since) / 1000);
          await this.applyTransition(job, "failed", {
            error: { code: "job_stalled", message: `waited ${waited} s in the queue without being processed` },
          });
          return;
        }
        // Re-sends back off (×2 each, up to ×16), so a long backlog is not swelled by duplicates.
        const resends = (await this.ctx.storage.get<number>("queued_resends")) ?? 0;
        const due = Date.parse(job.updated_at) + queuedMs * 2 ** Math.min(resends, MAX_RESEND_DOUBLINGS);
        if (Date.now() < due) {
          await this.ctx.storage.setAlarm(Math.min(due, deadline));
          return;
        }
        const touched: Job = { ...job, updated_at: new Date().toISOString() };
        const next = Date.now() + queuedMs * 2 ** Math.min(resends + 1, MAX_RESEND_DOUBLINGS);
        await this.ctx.storage.put({ job: touched, queued_resends: resends + 1 });
        await this.ctx.storage.setAlarm(Math.min(next, deadline));
        await enqueueWork(this.env, touched);
        return;
      }
      const quietMs = Date.now() - Date.parse(job.updated_at);
      if (quietMs < stallMs) {
        await this.ctx.storage.setAlarm(Date.parse(job.updated_at) + stallMs);
        return;
      }
      const quiet = `no progress for ${Math.round(quietMs / 1000)} s while ${job.status}`;
      const recoveries = (await this.ctx.storage.get<number>("recoveries")) ?? 0;
      if (recoveries >= maxRecoveries) {
        await this.applyTransition(job, "failed", {
          error: { code: "job_stalled", message: `${quiet}; gave up after ${recoveries} recoveries` },
        });
        return;
      }
      const requeued = await this.applyTransition(job, "queued", {
        error: { code: "job_stalled", message: `${quiet}; requeued` },
      });
      await this.ctx.storage.put("recoveries", recoveries + 1); // counted once the requeue happened
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
      engine_seconds: Math.round((job.engine_seconds + (patch.engineSeconds ?? 0)) * 1000) / 1000,
      started_at: to === "processing" ? (job.started_at ?? at) : job.started_at,
      finished_at: isTerminal(to) ? at : null,
      progress: to === "queued" ? null : job.progress,
    };
    await this.mirror(next);
    if (to === "queued") await this.ctx.storage.put("queued_since", Date.now());
    if (to === "queued" || to === "processing") await this.ctx.storage.delete("queued_resends");
    await this.record(job.status, next);
    if (isTerminal(to)) await recordMetric(this.env, { name: "job_ended", job: next });
    else if (job.status === "processing" && to === "queued") {
      await recordMetric(this.env, { name: "job_retried", kind: next.kind, error_code: next.error?.code ?? null });
    }
    return next;
  }

  /**
   * The dead-letter consumer's call: the work message `holder` died for good. A job it still holds
   * (processing under its lease) or waits for (queued) fails with `error`; anything else is untouched.
   */
  abandon(holder: string, error: JobError): Promise<TransitionResult> {
    return this.exclusive(async () => {
      const job = await this.load();
      if (!job) return { ok: false, code: "not_found", from: null, job: null };
      const lease = await this.ctx.storage.get<Lease>("lease");
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
      await this.ctx.storage.deleteAlarm();
      return;
    }
    const { stallMs, queuedMs } = this.limits();
    await this.ctx.storage.setAlarm(Date.parse(job.updated_at) + (job.status === "processing" ? stallMs : queuedMs));
  }

  private async mirror(job: Job): Promise<void> {
    const fault = loadConfig(this.env).FAULT_INJECTION;
    if (fault.fail_d1_mirror_of === job.status) {
      const injected = (await this.ctx.storage.get<number>("faults_injected")) ?? 0;
      if (injected < fault.times) {
        await this.ctx.storage.put("faults_injected", injected + 1);
        throw new Error(`D1 write failed (injected fault ${injected + 1} of ${fault.times})`);
      }
    }
    await this.env.DB.prepare(
      "UPDATE jobs SET status = ?, pages = ?, duration_s = ?, error_code = ?, updated_at = ?, snapshot = ? WHERE id = ?",
    )
      .bind(
        job.status,
        job.file.pages,
        job.file.duration_s,
        job.error?.code ?? null,
        job.updated_at,
        JSON.stringify(job),
        job.id,
      )
      .run();
  }

  /** Persists a status change with its place in the history, then tells every open socket. */
  private async record(from: JobStatus | null, job: Job): Promise<void> {
    const seq = ((await this.ctx.storage.get<number>("seq")) ?? 0) + 1;
    const change: StatusChange = { seq, at: job.updated_at, from, to: job.status };
    await this.ctx.storage.put({ job, seq, [`event:${String(seq).padStart(6, "0")}`]: change });
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
