import { isTerminal, type Job, type JobEvent } from "../../contracts";
import { randomBase62, sha256Hex } from "../lib/crypto";
import { toResource } from "../services/job-resource";
import type { CoordinatorStorage } from "./coordinator-storage";

/**
 * The job's WebSockets (hibernatable: idle sockets cost nothing): who may open one, the snapshot a
 * new one gets, events for all, and single-use tickets for browsers, which cannot send an
 * Authorization header on a socket.
 */
export class SocketHub {
  static readonly TICKET_TTL_MS = 60_000;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly store: CoordinatorStorage,
  ) {}

  async issueTicket(): Promise<{ ticket: string; expires_at: string }> {
    const ticket = randomBase62(32);
    const expires = Date.now() + SocketHub.TICKET_TTL_MS;
    await this.store.putTicket(await sha256Hex(ticket), expires);
    return { ticket, expires_at: new Date(expires).toISOString() };
  }

  /**
   * An upgrade forwarded by the API after it checked the caller owns the job (or carrying a ticket
   * this object issued): the socket, sent the current state at once (and closed at once for a job
   * that ended).
   */
  async open(request: Request, job: Job): Promise<Response> {
    const ticket = new URL(request.url).searchParams.get("ticket");
    if (request.headers.get("x-verbatim-authorized") !== "owner" && !(ticket && (await this.redeem(ticket)))) {
      return new Response("forbidden", { status: 403 });
    }
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    const snapshot: JobEvent = {
      seq: await this.store.count("seq"),
      type: "snapshot",
      at: new Date().toISOString(),
      from: null,
      job: toResource(job),
      history: await this.store.history(),
    };
    server.send(JSON.stringify(snapshot));
    if (isTerminal(job.status)) server.close(1000, "job finished");
    return new Response(null, { status: 101, webSocket: client });
  }

  /** The socket is one-way; answering "ping" lets clients check liveness without a poll. */
  answer(ws: WebSocket, message: string | ArrayBuffer): void {
    // A message can arrive after this side closed the socket (a finished job's): no one to answer.
    if (message === "ping" && ws.readyState === WebSocket.OPEN) ws.send("pong");
  }

  closed(ws: WebSocket, code: number): void {
    // 1005, 1006 and 1015 describe how a socket ended and may not be sent back; a socket this side
    // already closed needs no answer.
    if (ws.readyState === WebSocket.CLOSED) return;
    ws.close([1005, 1006, 1015].includes(code) ? 1000 : code, "closing");
  }

  broadcast(event: Omit<JobEvent, "job"> & { job: Job }): void {
    const text = JSON.stringify({ ...event, job: toResource(event.job) } satisfies JobEvent);
    for (const ws of this.ctx.getWebSockets()) {
      try {
        ws.send(text);
      } catch {
        // A socket closing under us misses this event; the next snapshot covers it.
      }
    }
  }

  closeAll(reason: string): void {
    for (const ws of this.ctx.getWebSockets()) ws.close(1000, reason);
  }

  private async redeem(ticket: string): Promise<boolean> {
    const expires = await this.store.takeTicket(await sha256Hex(ticket));
    return expires !== undefined && expires > Date.now();
  }
}
