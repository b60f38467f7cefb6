import { createScheduledController, env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobList, JobResource, Problem } from "../../../contracts";
import worker from "../../index";
import { sha256Hex } from "../../lib/crypto";
import { coordinatorFor } from "../../services/coordinator";
import { purgeExpiredIdempotencyKeys } from "../../services/idempotency";
import { createQueuedJob, createUserWithKey, TINY_PNG, uploadForm } from "../../test/helpers";

const post = (auth: Record<string, string>, form: FormData, headers: Record<string, string> = {}, query = "") =>
  SELF.fetch(`https://api.test/v1/jobs${query}`, { method: "POST", body: form, headers: { ...auth, ...headers } });

const countJobs = async (auth: Record<string, string>) =>
  JobList.parse(await (await SELF.fetch("https://api.test/v1/jobs?limit=100", { headers: auth })).json()).data.length;

/** A PNG whose bytes differ from TINY_PNG (a trailing byte after IEND is still a PNG). */
const OTHER_PNG = new Uint8Array([...TINY_PNG, 0]);

describe("Idempotency-Key on POST /v1/jobs", () => {
  it("answers a repeated request with the first answer and creates one job", async () => {
    const { auth } = await createUserWithKey();
    const key = { "idempotency-key": "order-4711" };
    const first = await post(auth, uploadForm(TINY_PNG, "a.png"), key);
    expect(first.status).toBe(202);
    const job = JobResource.parse(await first.json());
    const again = await post(auth, uploadForm(TINY_PNG, "a.png"), key);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(JobResource.parse(await again.json()).id).toBe(job.id);
    expect(await countJobs(auth)).toBe(1);
  });

  it("refuses the same key for a different file or different options", async () => {
    const { auth } = await createUserWithKey();
    const key = { "idempotency-key": "k-1" };
    expect((await post(auth, uploadForm(TINY_PNG, "a.png"), key)).status).toBe(202);
    for (const form of [uploadForm(OTHER_PNG, "a.png"), uploadForm(TINY_PNG, "a.png", { language: "deu" })]) {
      const res = await post(auth, form, key);
      expect(res.status).toBe(422);
      expect(Problem.parse(await res.json()).code).toBe("idempotency_key_reused");
    }
    expect(await countJobs(auth)).toBe(1);
  });

  it("never creates two jobs for concurrent duplicates", async () => {
    const { auth } = await createUserWithKey();
    const key = { "idempotency-key": "burst" };
    const answers = await Promise.all(Array.from({ length: 6 }, () => post(auth, uploadForm(TINY_PNG, "a.png"), key)));
    const statuses = answers.map((a) => a.status);
    expect(
      statuses.every((s) => s === 202 || s === 409),
      statuses.join(),
    ).toBe(true);
    const ids = new Set<string>();
    for (const answer of answers) {
      if (answer.status === 202) ids.add(JobResource.parse(await answer.json()).id);
      else expect(Problem.parse(await answer.json()).code).toBe("idempotency_in_progress");
    }
    expect(ids.size).toBe(1);
    expect(await countJobs(auth)).toBe(1);
  });

  it("keeps keys per user, and forgets them once expired", async () => {
    const alice = await createUserWithKey();
    const bob = await createUserWithKey();
    const key = { "idempotency-key": "shared-name" };
    const a = JobResource.parse(await (await post(alice.auth, uploadForm(TINY_PNG, "a.png"), key)).json());
    const b = JobResource.parse(await (await post(bob.auth, uploadForm(TINY_PNG, "a.png"), key)).json());
    expect(a.id).not.toBe(b.id);

    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = ? WHERE user_id = ?")
      .bind(new Date(Date.now() - 1000).toISOString(), alice.userId)
      .run();
    const fresh = await post(alice.auth, uploadForm(TINY_PNG, "a.png"), key);
    expect(fresh.headers.get("idempotent-replayed")).toBeNull();
    expect(JobResource.parse(await fresh.json()).id).not.toBe(a.id);
  });

  it("lets a retry finish a request that died holding the key, without a second job", async () => {
    const { auth, userId } = await createUserWithKey();
    const sha256 = await sha256Hex(TINY_PNG.slice().buffer);
    const fingerprint = await sha256Hex(JSON.stringify([sha256, "a.png", { language: "eng" }, false]));
    const past = new Date(Date.now() - 1000).toISOString();
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const abandon = (key: string, jobId: string) =>
      env.DB.prepare(
        `INSERT INTO idempotency_keys (user_id, key, request_hash, state, job_id, locked_until, created_at, expires_at)
         VALUES (?, ?, ?, 'pending', ?, ?, ?, ?)`,
      )
        .bind(userId, key, fingerprint, jobId, past, past, later)
        .run();

    // Died after creating its job: the retry answers with that job.
    const created = await createQueuedJob(userId);
    await abandon("died-late", created.id);
    const late = await post(auth, uploadForm(TINY_PNG, "a.png"), { "idempotency-key": "died-late" });
    expect(late.status).toBe(202);
    expect(JobResource.parse(await late.json()).id).toBe(created.id);

    // Died before creating it: the retry creates it, under the id the first request chose.
    await abandon("died-early", "job_01JZZZZZZZZZZZZZZZZZZZZZZZ");
    const before = (await env.FILES.list({ prefix: "uploads/" })).objects.map((o) => o.key);
    const early = await post(auth, uploadForm(TINY_PNG, "a.png"), { "idempotency-key": "died-early" });
    expect(early.status).toBe(202);
    expect(JobResource.parse(await early.json()).id).toBe("job_01JZZZZZZZZZZZZZZZZZZZZZZZ");
    // Its file is where that job reads it, and the copy received under another id is gone.
    expect((await env.FILES.head("uploads/job_01JZZZZZZZZZZZZZZZZZZZZZZZ/source"))?.size).toBe(TINY_PNG.length);
    const after = (await env.FILES.list({ prefix: "uploads/" })).objects.map((o) => o.key);
    expect(after.filter((key) => !before.includes(key))).toEqual(["uploads/job_01JZZZZZZZZZZZZZZZZZZZZZZZ/source"]);
    expect(await countJobs(auth)).toBe(2);

    // Both keys now replay.
    const again = await post(auth, uploadForm(TINY_PNG, "a.png"), { "idempotency-key": "died-early" });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await countJobs(auth)).toBe(2);
  });

  it("rejects a malformed key", async () => {
    const { auth } = await createUserWithKey();
    const res = await post(auth, uploadForm(TINY_PNG, "a.png"), { "idempotency-key": "has spaces in it" });
    expect(res.status).toBe(422);
  });

  it("purges expired keys (the hourly scheduled handler does it)", async () => {
    const { auth, userId } = await createUserWithKey();
    await post(auth, uploadForm(TINY_PNG, "a.png"), { "idempotency-key": "old" });
    await post(auth, uploadForm(TINY_PNG, "a.png"), { "idempotency-key": "expired" });
    const count = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM idempotency_keys WHERE user_id = ?").bind(userId).first())?.n;
    await env.DB.prepare("UPDATE idempotency_keys SET expires_at = ? WHERE user_id = ? AND key = 'expired'")
      .bind(new Date(Date.now() - 1000).toISOString(), userId)
      .run();
    await worker.scheduled(createScheduledController(), env);
    expect(await count()).toBe(1);
    const later = new Date(Date.now() + 25 * 60 * 60 * 1000);
    expect(await purgeExpiredIdempotencyKeys(env.DB, later)).toBeGreaterThanOrEqual(1);
    expect(await count()).toBe(0);
  });
});

describe("?reuse=identical", () => {
  it("returns the caller's succeeded job for byte-identical content and the same options", async () => {
    const { auth, userId } = await createUserWithKey();
    const sha256 = await sha256Hex(TINY_PNG.slice().buffer);
    const done = await createQueuedJob(userId, {
      file: { name: "a.png", size: TINY_PNG.length, mime: "image/png", sha256, pages: 1, duration_s: null },
    });
    const unfinished = await createQueuedJob(userId, {
      file: { name: "a.png", size: TINY_PNG.length, mime: "image/png", sha256, pages: 1, duration_s: null },
    });
    await coordinatorFor(env, done.id).transition("processing");
    await coordinatorFor(env, done.id).transition("succeeded");

    const reused = await post(auth, uploadForm(TINY_PNG, "again.png"), {}, "?reuse=identical");
    expect(reused.status).toBe(200);
    expect(JobResource.parse(await reused.json()).id).toBe(done.id);
    expect(unfinished.id).not.toBe(done.id);

    // Other options, other bytes, or no ?reuse: a new job.
    for (const [form, query] of [
      [uploadForm(TINY_PNG, "a.png", { language: "deu" }), "?reuse=identical"],
      [uploadForm(OTHER_PNG, "a.png"), "?reuse=identical"],
      [uploadForm(TINY_PNG, "a.png"), ""],
    ] as const) {
      const res = await post(auth, form, {}, query);
      expect(res.status).toBe(202);
      expect(JobResource.parse(await res.json()).id).not.toBe(done.id);
    }
    // Never another user's job.
    const stranger = await createUserWithKey();
    expect((await post(stranger.auth, uploadForm(TINY_PNG, "a.png"), {}, "?reuse=identical")).status).toBe(202);
  });
});
