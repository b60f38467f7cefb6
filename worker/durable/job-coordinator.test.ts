import { env, runInDurableObject, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Job, JobEvent } from "../../contracts";
import { coordinatorFor } from "../services/coordinator";
import { createQueuedJob, createUserWithKey } from "../test/helpers";
import type { JobCoordinator } from "./job-coordinator";

const newJob = (userId: string) => createQueuedJob(userId);

const d1Status = async (id: string) =>
  (await env.DB.prepare("SELECT status, error_code FROM jobs WHERE id = ?").bind(id).first()) as {
    status: string;
    error_code: string | null;
  };

/** Opens the job's socket through the API and collects every message until it closes. */
async function openEvents(path: string, headers: Record<string, string>) {
  const res = await SELF.fetch(`https://api.test${path}`, { headers: { upgrade: "websocket", ...headers } });
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  if (!ws) throw new Error("no socket");
  const messages: JobEvent[] = [];
  const closed = new Promise<number>((resolve) => ws.addEventListener("close", (e) => resolve(e.code)));
  ws.addEventListener("message", (e) => messages.push(JobEvent.parse(JSON.parse(e.data as string))));
  ws.accept();
  return { ws, messages, closed };
}

describe("JobCoordinator", () => {
  it("walks the happy path, records every change and mirrors it to D1", async () => {
    const { userId } = await createUserWithKey();
    const job = await newJob(userId);
    const coordinator = coordinatorFor(env, job.id);
    expect((await d1Status(job.id)).status).toBe("queued");
    const processing = await coordinator.transition("processing");
    expect(processing.ok && processing.job.attempts).toBe(1);
    await coordinator.report({ pages: 3, progress: { done: 1, total: 3, unit: "pages", stage: "ocr" } });
    const done = await coordinator.transition("succeeded");
    expect(done.ok).toBe(true);
    expect(await d1Status(job.id)).toEqual({ status: "succeeded", error_code: null });
    const final = await coordinator.get();
    expect(final).toMatchObject({ status: "succeeded", file: { pages: 3 } });
    expect(final?.finished_at).not.toBeNull();
    const history = await coordinator.history();
    expect(history.map((h) => [h.from, h.to])).toEqual([
      [null, "queued"],
      ["queued", "processing"],
      ["processing", "succeeded"],
    ]);
  });

  it("keeps D1's copy of a long job fresh from its progress, at most once a minute", async () => {
    const { userId } = await createUserWithKey();
    const job = await newJob(userId);
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.claim("m-1");
    const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
    const d1 = () =>
      env.DB.prepare("SELECT updated_at, snapshot FROM jobs WHERE id = ?")
        .bind(job.id)
        .first<{ updated_at: string; snapshot: string }>();
    await env.DB.prepare("UPDATE jobs SET updated_at = ? WHERE id = ?").bind(hourAgo, job.id).run();
    const progress = (done: number) => ({ progress: { done, total: 9, unit: "pages" as const, stage: "ocr" } });
    await coordinator.report(progress(1));
    const fresh = await d1();
    expect(fresh?.updated_at).toBe((await coordinator.get())?.updated_at);
    expect(JSON.parse(fresh?.snapshot ?? "{}").progress).toMatchObject({ done: 1, total: 9 });
    // A stuck-job check reading D1 no longer counts it.
    const stuck = await env.DB.prepare("SELECT count(*) AS n FROM jobs WHERE id = ? AND updated_at < ?")
      .bind(job.id, new Date(Date.now() - 1_800_000).toISOString())
      .first<{ n: number }>();
    expect(stuck?.n).toBe(0);
    // The next progress within the minute is not written.
    await coordinator.report(progress(2));
    expect(JSON.parse((await d1())?.snapshot ?? "{}").progress).toMatchObject({ done: 1 });
  });

  it("refuses illegal transitions with a stable code and leaves state unchanged", async () => {
    const { userId } = await createUserWithKey();
    const job = await newJob(userId);
    const coordinator = coordinatorFor(env, job.id);
    const skip = await coordinator.transition("succeeded");
    expect(skip).toMatchObject({ ok: false, code: "invalid_transition", from: "queued" });
    expect(await coordinator.transition("canceled")).toMatchObject({ ok: true });
    for (const to of ["processing", "queued", "succeeded", "failed", "canceled"] as const) {
      expect(await coordinator.transition(to)).toMatchObject({
        ok: false,
        code: "invalid_transition",
        from: "canceled",
      });
    }
    expect(await coordinator.report({ progress: { done: 1, total: 1, unit: "pages", stage: "ocr" } })).toMatchObject({
      ok: false,
      code: "invalid_transition",
    });
    expect((await coordinator.get())?.status).toBe("canceled");
    expect((await d1Status(job.id)).status).toBe("canceled");
    expect((await coordinator.history()).length).toBe(2);
  });

  it("creating twice keeps the first job", async () => {
    const { userId } = await createUserWithKey();
    const job = await newJob(userId);
    const again = await coordinatorFor(env, job.id).create({ ...job, file: { ...job.file, name: "other.png" } });
    expect(again.file.name).toBe("a.png");
  });

  it("keeps the error of a failed job in the job and in D1", async () => {
    const { userId } = await createUserWithKey();
    const job = await newJob(userId);
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.transition("processing");
    await coordinator.transition("failed", { error: { code: "media_corrupt", message: "bad bytes" } });
    expect((await coordinator.get())?.error).toEqual({ code: "media_corrupt", message: "bad bytes" });
    expect(await d1Status(job.id)).toEqual({ status: "failed", error_code: "media_corrupt" });
  });
});

describe("GET /v1/jobs/{id}/events", () => {
  it("sends the state at once, then every change in order, and closes after the terminal one", async () => {
    const { userId, auth } = await createUserWithKey();
    const job = await newJob(userId);
    const { messages, closed } = await openEvents(`/v1/jobs/${job.id}/events`, auth);
    const coordinator = coordinatorFor(env, job.id);
    await coordinator.transition("processing");
    await coordinator.report({ progress: { done: 1, total: 2, unit: "pages", stage: "ocr" } });
    await coordinator.report({ progress: { done: 2, total: 2, unit: "pages", stage: "ocr" } });
    await coordinator.transition("succeeded");
    expect(await closed).toBe(1000);
    expect(messages.map((m) => [m.type, m.job.status, m.job.progress?.done ?? null])).toEqual([
      ["snapshot", "queued", null],
      ["status", "processing", null],
      ["progress", "processing", 1],
      ["progress", "processing", 2],
      ["status", "succeeded", 2],
    ]);
    const seqs = messages.slice(1).map((m) => m.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it("sends a finished job's state and closes", async () => {
    const { userId, auth } = await createUserWithKey();
    const job = await newJob(userId);
    await coordinatorFor(env, job.id).transition("canceled");
    const { messages, closed } = await openEvents(`/v1/jobs/${job.id}/events`, auth);
    expect(await closed).toBe(1000);
    expect(messages.map((m) => m.job.status)).toEqual(["canceled"]);
  });

  it("accepts a single-use ticket instead of the Authorization header", async () => {
    const { userId, auth } = await createUserWithKey();
    const job = await newJob(userId);
    const res = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/events/ticket`, { method: "POST", headers: auth });
    expect(res.status).toBe(200);
    const { url } = (await res.json()) as { url: string };
    const { messages, ws } = await openEvents(url, {});
    await coordinatorFor(env, job.id).transition("processing");
    await expect.poll(() => messages.length).toBe(2);
    ws.close();
    const reused = await SELF.fetch(`https://api.test${url}`, { headers: { upgrade: "websocket" } });
    expect(reused.status).toBe(401);
  });

  it("refuses strangers, forged headers and plain HTTP", async () => {
    const { userId, auth } = await createUserWithKey();
    const stranger = await createUserWithKey();
    const job = await newJob(userId);
    const path = `https://api.test/v1/jobs/${job.id}/events`;
    expect((await SELF.fetch(path, { headers: { upgrade: "websocket", ...stranger.auth } })).status).toBe(404);
    expect(
      (await SELF.fetch(path, { headers: { upgrade: "websocket", "x-verbatim-authorized": "owner" } })).status,
    ).toBe(401);
    expect((await SELF.fetch(`${path}?ticket=madeup`, { headers: { upgrade: "websocket" } })).status).toBe(401);
    expect((await SELF.fetch(path, { headers: auth })).status).toBe(426);
    const ticket = await SELF.fetch(`${path}/ticket`, { method: "POST", headers: stranger.auth });
    expect(ticket.status).toBe(404);
  });
});

describe("POST /v1/jobs/{id}/cancel", () => {
  const cancel = (id: string, auth: Record<string, string>) =>
    SELF.fetch(`https://api.test/v1/jobs/${id}/cancel`, { method: "POST", headers: auth });

  it("cancels a queued or running job, and a second cancel changes nothing", async () => {
    const { userId, auth } = await createUserWithKey();
    const queued = await newJob(userId);
    const first = await cancel(queued.id, auth);
    expect(first.status).toBe(200);
    expect(((await first.json()) as Job).status).toBe("canceled");
    const again = await cancel(queued.id, auth);
    expect(again.status).toBe(200);
    expect((await coordinatorFor(env, queued.id).history()).length).toBe(2);

    const running = await newJob(userId);
    await coordinatorFor(env, running.id).transition("processing");
    expect((await cancel(running.id, auth)).status).toBe(200);
    expect(await d1Status(running.id)).toEqual({ status: "canceled", error_code: null });
    // A late result cannot land on a canceled job.
    expect(await coordinatorFor(env, running.id).transition("succeeded")).toMatchObject({ ok: false });
  });

  it("refuses to cancel a finished job, and hides other users' jobs", async () => {
    const { userId, auth } = await createUserWithKey();
    const stranger = await createUserWithKey();
    const job = await newJob(userId);
    expect((await cancel(job.id, stranger.auth)).status).toBe(404);
    await coordinatorFor(env, job.id).transition("processing");
    await coordinatorFor(env, job.id).transition("succeeded");
    const res = await cancel(job.id, auth);
    expect(res.status).toBe(409);
    expect(((await res.json()) as { code: string }).code).toBe("invalid_transition");
  });
});

describe("the job's WebSocket after this side closed it", () => {
  it("ignores a ping and a close arriving late, without throwing", async () => {
    const { userId } = await createUserWithKey();
    const job = await newJob(userId);
    const coordinators = env.JOB_COORDINATOR as DurableObjectNamespace<JobCoordinator>;
    const stub = coordinators.get(coordinators.idFromName(job.id));
    await runInDurableObject(stub, async (instance) => {
      const [, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
      server.accept();
      server.close(1000, "the job ended");
      await expect(instance.webSocketMessage(server, "ping")).resolves.toBeUndefined();
      await expect(instance.webSocketClose(server, 1006)).resolves.toBeUndefined();
    });
  });
});
