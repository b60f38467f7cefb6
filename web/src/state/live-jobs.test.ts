import { describe, expect, it } from "vitest";
import type { Job } from "../api/client";
import { createLiveJobs, type SocketLike } from "./live-jobs";

const job = (id: string, status: string, updated_at = "2026-11-28T00:00:00Z") => ({ id, status, updated_at }) as Job;

/** Sockets, a job store and timers the test drives by hand. */
function harness(options: { maxSockets?: number } = {}) {
  const sockets = new Map<string, SocketLike & { closed: boolean }>();
  const store = new Map<string, Job>();
  const fetched: string[] = [];
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  let socketsRefused = false;
  let clock = 0;
  let opened = 0;
  const live = createLiveJobs(
    {
      async openSocket(id) {
        opened++;
        if (socketsRefused) throw new Error("refused");
        const s = { onmessage: null, onclose: null, closed: false, close: () => (s.closed = true) } as SocketLike & {
          closed: boolean;
        };
        sockets.set(id, s);
        return s;
      },
      async fetchJob(id) {
        fetched.push(id);
        const found = store.get(id);
        if (!found) throw new Error("gone");
        return found;
      },
      isPermanent: (err) => err instanceof Error && err.message === "gone",
      now: () => clock,
      setTimer(fn, ms) {
        const t = { fn, ms, cleared: false };
        timers.push(t);
        return t;
      },
      clearTimer(t) {
        (t as { cleared: boolean }).cleared = true;
      },
    },
    { minPollMs: 1000, maxPollMs: 8000, socketRetryMs: 2000, ...options },
  );
  const pending = () => timers.filter((t) => !t.cleared);
  return {
    live,
    sockets,
    store,
    fetched,
    refuseSockets: (v: boolean) => {
      socketsRefused = v;
    },
    socketTries: () => opened,
    send: (id: string, event: object) => sockets.get(id)?.onmessage?.({ data: JSON.stringify(event) }),
    drop: (id: string) => sockets.get(id)?.onclose?.(),
    /** Runs the one pending poll, as the timer would (the clock moves on by its delay). */
    async fire() {
      const t = pending();
      expect(t).toHaveLength(1);
      const [next] = t;
      if (!next) return 0;
      next.cleared = true;
      clock += next.ms;
      next.fn();
      await flush();
      return next.ms;
    },
    pending,
  };
}
const flush = () => new Promise((r) => setTimeout(r, 0));

describe("live jobs", () => {
  it("follows a job over its socket: snapshot with history, then status and progress, no polling", async () => {
    const h = harness();
    const { state } = h.live.watch("job_1");
    await flush();
    expect(state.mode.value).toBe("live");
    h.send("job_1", {
      seq: 1,
      type: "snapshot",
      at: "t1",
      from: null,
      job: job("job_1", "queued"),
      history: [{ seq: 1, at: "t0", from: null, to: "queued" }],
    });
    h.send("job_1", { seq: 2, type: "status", at: "t2", from: "queued", job: job("job_1", "processing") });
    h.send("job_1", { seq: 3, type: "progress", at: "t3", from: null, job: job("job_1", "processing") });
    expect(state.history.value.map((c) => c.to)).toEqual(["queued", "processing"]);
    h.send("job_1", { seq: 4, type: "status", at: "t4", from: "processing", job: job("job_1", "succeeded") });
    h.drop("job_1");
    await flush();
    expect(state.mode.value).toBe("done");
    expect(h.fetched).toEqual([]);
    expect(h.pending()).toHaveLength(0);
  });

  it("shares one socket between everything that shows the same job, and closes it with the last", async () => {
    const h = harness();
    const a = h.live.watch("job_1");
    const b = h.live.watch("job_1");
    await flush();
    expect(a.state).toBe(b.state);
    expect(h.live.stats().sockets).toBe(1);
    a.release();
    expect(h.sockets.get("job_1")?.closed).toBe(false);
    b.release();
    expect(h.sockets.get("job_1")?.closed).toBe(true);
  });

  it("opens nothing for a finished job given by a list", async () => {
    const h = harness();
    h.live.watch("job_1", job("job_1", "succeeded"));
    await flush();
    expect(h.sockets.size).toBe(0);
    expect(h.pending()).toHaveLength(0);
  });

  it("opens a finished job's socket once when a page wants its timeline, and polls nothing after", async () => {
    const h = harness();
    const row = h.live.watch("job_1", job("job_1", "succeeded"));
    const page = h.live.watch("job_1");
    await flush();
    expect(page.state).toBe(row.state);
    h.send("job_1", {
      seq: 3,
      type: "snapshot",
      at: "t3",
      from: null,
      job: job("job_1", "succeeded"),
      history: [
        { seq: 1, at: "t0", from: null, to: "queued" },
        { seq: 2, at: "t1", from: "queued", to: "processing" },
        { seq: 3, at: "t2", from: "processing", to: "succeeded" },
      ],
    });
    h.drop("job_1");
    await flush();
    expect(page.state.history.value).toHaveLength(3);
    expect(h.pending()).toHaveLength(0);
  });

  it("tries a polled job's socket again only as its own backoff allows", async () => {
    const h = harness();
    h.store.set("job_1", job("job_1", "processing"));
    h.refuseSockets(true);
    h.live.watch("job_1");
    await flush();
    // Every poll brings a change (progress), so polls come each second for 12 s; the socket is
    // tried at 0 s, then after 2 s and 4 s more (6 s), not on every poll.
    for (let i = 0; i < 12; i++) {
      h.store.set("job_1", job("job_1", "processing", `2026-11-28T00:00:${String(i).padStart(2, "0")}Z`));
      expect(await h.fire()).toBe(1000);
    }
    expect(h.fetched).toHaveLength(12);
    expect(h.socketTries()).toBe(3);
    expect(h.live.stats().polled).toBe(1);
  });

  it("stops asking for a job the API no longer knows", async () => {
    const h = harness();
    const { state } = h.live.watch("job_1", job("job_1", "processing"));
    await flush();
    h.refuseSockets(true);
    h.drop("job_1");
    await h.fire();
    expect(state.mode.value).toBe("done");
    expect(state.error.value).toBeInstanceOf(Error);
    expect(h.pending()).toHaveLength(0);
  });

  it("polls with one shared timer when sockets drop, backs off while nothing changes, and stops at the end", async () => {
    const h = harness();
    const one = h.live.watch("job_1").state;
    const two = h.live.watch("job_2").state;
    await flush();
    h.refuseSockets(true);
    h.store.set("job_1", job("job_1", "processing"));
    h.store.set("job_2", job("job_2", "processing"));
    h.drop("job_1");
    h.drop("job_2");
    expect(one.mode.value).toBe("polling");
    expect(h.pending()).toHaveLength(1);
    expect(await h.fire()).toBe(1000);
    expect(h.fetched.sort()).toEqual(["job_1", "job_2"]);
    // Nothing changed since: the delay doubles, up to the cap.
    expect(await h.fire()).toBe(1000);
    expect(await h.fire()).toBe(2000);
    expect(await h.fire()).toBe(4000);
    h.store.set("job_1", job("job_1", "succeeded", "2026-11-28T00:01:00Z"));
    expect(await h.fire()).toBe(8000);
    expect(one.mode.value).toBe("done");
    expect(one.history.value.map((c) => c.to)).toEqual(["succeeded"]);
    // A change brings the delay back down; job_1 is no longer asked for.
    h.fetched.length = 0;
    expect(await h.fire()).toBe(1000);
    expect(h.fetched).toEqual(["job_2"]);
    h.store.set("job_2", job("job_2", "failed", "2026-11-28T00:02:00Z"));
    await h.fire();
    expect(two.mode.value).toBe("done");
    expect(h.pending()).toHaveLength(0);
  });

  it("goes back to the socket when it can be opened again", async () => {
    const h = harness();
    const { state } = h.live.watch("job_1");
    await flush();
    h.store.set("job_1", job("job_1", "processing"));
    h.drop("job_1");
    await h.fire();
    expect(state.mode.value).toBe("live");
    expect(h.pending()).toHaveLength(0);
  });

  it("opens at most maxSockets and polls the rest", async () => {
    const h = harness({ maxSockets: 2 });
    for (const id of ["a", "b", "c"]) h.store.set(id, job(id, "processing"));
    const states = ["a", "b", "c"].map((id) => h.live.watch(id).state);
    await flush();
    expect(h.live.stats()).toEqual({ sockets: 2, polled: 1 });
    expect(states[2]?.mode.value).toBe("polling");
  });
});
