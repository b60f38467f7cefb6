import { DurableObject } from "cloudflare:workers";
import {
  canTransition,
  isTerminal,
  type Job,
  type JobError,
  type JobEvent,
  type JobProgress,
  type JobStatus,
  type StatusChange,
} from "../../contracts";
import { randomBase62, sha256Hex } from "../lib/crypto";
import { toResource } from "../services/job-resource";

export type TransitionResult =
  | { ok: true; job: Job }
  | { ok: false; code: "invalid_transition" | "not_found"; from: JobStatus | null; job: Job | null };

const TICKET_TTL_MS = 60_000;

/**
 * One instance per job (named by the job id). The single writer of the job's state: every status
 * change goes through `canTransition`, is recorded with a timestamp, mirrored to D1 for listing,
 * and pushed to the job's WebSockets (hibernatable: idle sockets cost nothing).
 */
export class JobCoordinator extends DurableObject<Env> {
  private job: Job | null | undefined;

  private async load(): Promise<Job | null> {
    if (this.job === undefined) this.job = (await this.ctx.storage.get<Job>("job")) ?? null;
    return this.job;
  }

  async get(): Promise<Job | null> {
    return this.load();
  }

  async history(): Promise<StatusChange[]> {
    const events = await this.ctx.storage.list<StatusChange>({ prefix: "event:" });
    return [...events.values()];
  }

  /** Creates the job (queued) and its D1 row. Calling it again returns the existing job unchanged. */
  async create(job: Job): Promise<Job> {
    const existing = await this.load();
    if (existing) return existing;
    await this.env.DB.prepare(
      `INSERT INTO jobs (id, user_id, kind, status, file_name, file_size, file_mime, file_sha256, pages, duration_s,
        error_code, created_at, updated_at, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    await this.record(null, job);
    return job;
  }

  /**
   * Moves the job to `to` if the state machine allows it; otherwise refuses and changes nothing.
   * The D1 mirror is written first, so a failed write leaves the job exactly as it was.
   */
  async transition(to: JobStatus, patch: { error?: JobError } = {}): Promise<TransitionResult> {
    const job = await this.load();
    if (!job) return { ok: false, code: "not_found", from: null, job: null };
    if (!canTransition(job.status, to)) return { ok: false, code: "invalid_transition", from: job.status, job };
    const at = new Date().toISOString();
    const next: Job = {
      ...job,
      status: to,
      updated_at: at,
      error: patch.error ?? (to === "failed" ? job.error : null),
      attempts: to === "processing" ? job.attempts + 1 : job.attempts,
      started_at: to === "processing" ? (job.started_at ?? at) : job.started_at,
      finished_at: isTerminal(to) ? at : null,
      progress: to === "queued" ? null : job.progress,
    };
    await this.mirror(next);
    await this.record(job.status, next);
    return { ok: true, job: next };
  }

  /** Progress and file facts found while processing (pages, duration). Only while `processing`. */
  async report(update: {
    progress?: JobProgress;
    pages?: number | null;
    duration_s?: number | null;
  }): Promise<TransitionResult> {
    const job = await this.load();
    if (!job) return { ok: false, code: "not_found", from: null, job: null };
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
    this.job = next;
    this.broadcast({ seq, type: "progress", from: null, at: next.updated_at, job: next });
    return { ok: true, job: next };
  }

  /** A single-use ticket that lets a browser open the job's WebSocket without an Authorization header. */
  async issueTicket(): Promise<{ ticket: string; expires_at: string }> {
    const ticket = randomBase62(32);
    const expires = Date.now() + TICKET_TTL_MS;
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
    ws.close(code === 1005 ? 1000 : code, "closing");
  }

  private async mirror(job: Job): Promise<void> {
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
    this.job = job;
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
