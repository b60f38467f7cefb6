import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, JobResource, Problem, Usage, UserLimitsSetting } from "../contracts";
import { coordinatorFor } from "./services/coordinator";
import { sizeRefusal } from "./services/quotas";
import { createQueuedJob, createUserWithKey, TINY_PNG, uploadForm, withLimits } from "./test/helpers";

const submit = (
  call: ReturnType<typeof withLimits>,
  auth: Record<string, string>,
  extra: Record<string, string> = {},
) => call("/v1/jobs", { method: "POST", body: uploadForm(TINY_PNG, "a.png"), headers: { ...auth, ...extra } });

describe("quotas at submission", () => {
  it("refuses new work over quota before reading the upload", async () => {
    const call = withLimits({ max_concurrent_jobs: 1 });
    const { auth, userId } = await createUserWithKey();
    await createQueuedJob(userId);
    // A body that never ends: had the upload been read first, there would be no answer.
    const endless = new ReadableStream<Uint8Array>({ pull: () => new Promise(() => {}) });
    const refused = await call("/v1/jobs", {
      method: "POST",
      body: endless,
      headers: { ...auth, "content-type": "multipart/form-data; boundary=x" },
      // @ts-expect-error a streamed request body
      duplex: "half",
    });
    expect(refused.status).toBe(429);
    expect(Problem.parse(await refused.json()).code).toBe("quota_exceeded");
  });

  it("refuses a job past the running-jobs limit with 429 and Retry-After, until one ends", async () => {
    const call = withLimits({ max_concurrent_jobs: 2 });
    const { auth } = await createUserWithKey();
    const first = JobResource.parse(await (await submit(call, auth)).json());
    expect((await submit(call, auth)).status).toBe(202);
    const refused = await submit(call, auth);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("30");
    const problem = Problem.parse(await refused.json());
    expect(problem.code).toBe("quota_exceeded");
    expect(problem.detail).toContain("the most allowed at once (2)");
    await call(`/v1/jobs/${first.id}/cancel`, { method: "POST", headers: auth });
    expect((await submit(call, auth)).status).toBe(202);
  });

  it("refuses past the daily job quota, saying when it frees up, and never charges a replay", async () => {
    const call = withLimits({ daily_jobs: 1 });
    const { auth } = await createUserWithKey();
    expect((await submit(call, auth, { "idempotency-key": "only-one" })).status).toBe(202);
    const refused = await submit(call, auth);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(86_000);
    // The same request again with its key is the first answer, not new work.
    const replay = await submit(call, auth, { "idempotency-key": "only-one" });
    expect(replay.status).toBe(202);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
  });

  it("shows the caller its limits and usage", async () => {
    const call = withLimits({ daily_pages: 50 });
    const { auth, userId } = await createUserWithKey();
    await submit(call, auth);
    const seven = await createQueuedJob(userId);
    await env.DB.prepare("UPDATE jobs SET pages = 7 WHERE id = ?").bind(seven.id).run();
    const usage = Usage.parse(await (await call("/v1/usage", { headers: auth })).json());
    expect(usage.limits.daily_pages).toBe(50);
    expect(usage.limits.max_concurrent_jobs).toBe(20);
    expect(usage.concurrent_jobs).toBe(2);
    expect(usage.day.jobs).toBe(2);
    expect(usage.day.pages).toBe(7);
    expect(usage.uploads).toEqual({
      max_direct_bytes: 100 * 1024 * 1024,
      max_multipart_bytes: 5 * 1024 ** 3,
      part_bytes: 5 * 1024 * 1024,
    });
  });

  it("reports the measured processing time per page and per audio minute of recent succeeded jobs", async () => {
    const { auth } = await createUserWithKey();
    await env.DB.prepare("DELETE FROM metric_events").run();
    const at = new Date().toISOString();
    const old = new Date(Date.now() - 8 * 86_400_000).toISOString();
    const insert = (kind: string, status: string, ms: number, units: number | null, when = at, profile = "pdf") =>
      env.DB.prepare(
        `INSERT INTO metric_events (name, kind, status, processing_ms, queue_wait_ms, units, profile, at)
         VALUES ('job_ended', ?, ?, ?, 500, ?, ?, ?)`,
      ).bind(kind, status, ms, units, profile, when);
    await env.DB.batch([
      insert("ocr", "succeeded", 10_000, 4),
      insert("ocr", "succeeded", 2_000, 1),
      insert("ocr", "succeeded", 1_000, 1, at, "image"),
      insert("ocr", "failed", 90_000, 1),
      insert("ocr", "succeeded", 90_000, 1, old),
      insert("av", "succeeded", 30_000, null, at, "audio"),
    ]);
    const usage = Usage.parse(await (await SELF.fetch("https://api.test/v1/usage", { headers: auth })).json());
    expect(usage.throughput.ocr_per_page).toEqual({ seconds_per_unit: 13 / 6, jobs: 3 });
    expect(usage.throughput.av_per_minute).toBeNull();
    // Per profile, a point per band of size; the queue's state per kind.
    const { curves, queues } = usage.throughput.estimates;
    expect(curves.pdf).toEqual([
      { units: 1, seconds: 2, jobs: 1 },
      { units: 4, seconds: 10, jobs: 1 },
    ]);
    expect(curves.image).toEqual([{ units: 1, seconds: 1, jobs: 1 }]);
    expect(curves.audio).toEqual([]);
    expect(queues.ocr).toMatchObject({ typical_wait_s: 0.5, job_s: 2 });
  });
});

describe("per-job limits and daily volume, once the size is known", () => {
  const limits = {
    ...DEFAULT_LIMITS,
    daily_pages: 10,
    daily_audio_minutes: 30,
    max_pages_per_job: 8,
    max_minutes_per_job: 20,
  };

  it("refuses one job too large with limit_exceeded, and the day's volume with quota_exceeded", async () => {
    const { userId } = await createUserWithKey();
    const job = await createQueuedJob(userId);
    expect(await sizeRefusal(env.DB, job, { pages: 8, duration_s: null }, limits)).toBeNull();
    expect(await sizeRefusal(env.DB, job, { pages: 9, duration_s: null }, limits)).toMatchObject({
      code: "limit_exceeded",
    });
    expect(await sizeRefusal(env.DB, job, { pages: null, duration_s: 21 * 60 }, limits)).toMatchObject({
      code: "limit_exceeded",
    });
    // Another job of the day already used 6 pages and 15 minutes: this one's own size is not counted twice.
    const earlier = await createQueuedJob(userId);
    await env.DB.prepare("UPDATE jobs SET pages = 6, duration_s = 900 WHERE id = ?").bind(earlier.id).run();
    await env.DB.prepare("UPDATE jobs SET pages = 5 WHERE id = ?").bind(job.id).run();
    expect(await sizeRefusal(env.DB, job, { pages: 4, duration_s: null }, limits)).toBeNull();
    expect(await sizeRefusal(env.DB, job, { pages: 5, duration_s: null }, limits)).toMatchObject({
      code: "quota_exceeded",
    });
    expect(await sizeRefusal(env.DB, job, { pages: null, duration_s: 16 * 60 }, limits)).toMatchObject({
      code: "quota_exceeded",
    });
    expect((await coordinatorFor(env, job.id).get())?.status).toBe("queued");
  });
});

describe("one user's own limits, set by an admin", () => {
  const setLimits = (
    call: ReturnType<typeof withLimits>,
    auth: Record<string, string>,
    userId: string,
    body: unknown,
  ) =>
    call(`/v1/admin/users/${userId}/limits`, {
      method: "PUT",
      body: JSON.stringify(body),
      headers: { ...auth, "content-type": "application/json" },
    });

  it("apply to that user alone, over USER_LIMITS, at submission, in /v1/usage and once the size is known", async () => {
    const call = withLimits({ max_concurrent_jobs: 1, max_pages_per_job: 8 });
    const admin = await createUserWithKey(undefined, "admin");
    const raised = await createUserWithKey();
    const other = await createUserWithKey();
    const res = await setLimits(call, admin.auth, raised.userId, { max_concurrent_jobs: 2, daily_pages: 40 });
    expect(res.status).toBe(200);
    const setting = UserLimitsSetting.parse(await res.json());
    expect(setting.overrides).toEqual({ max_concurrent_jobs: 2, daily_pages: 40 });
    expect(setting.limits).toMatchObject({ max_concurrent_jobs: 2, daily_pages: 40, max_pages_per_job: 8 });
    expect(setting.updated_at).not.toBeNull();

    expect((await submit(call, raised.auth)).status).toBe(202);
    expect((await submit(call, raised.auth)).status).toBe(202);
    expect((await submit(call, raised.auth)).status).toBe(429);
    expect((await submit(call, other.auth)).status).toBe(202);
    expect((await submit(call, other.auth)).status).toBe(429);

    const usage = Usage.parse(await (await call("/v1/usage", { headers: raised.auth })).json());
    expect(usage.limits).toMatchObject({ max_concurrent_jobs: 2, daily_pages: 40, max_pages_per_job: 8 });
    const others = Usage.parse(await (await call("/v1/usage", { headers: other.auth })).json());
    expect(others.limits).toMatchObject({ max_concurrent_jobs: 1, daily_pages: 5000 });
    const job = await createQueuedJob(raised.userId);
    // The consumer's check, with USER_LIMITS as it would read them: 41 pages pass this user's daily 40.
    const configured = { ...DEFAULT_LIMITS, max_concurrent_jobs: 1, max_pages_per_job: 100 };
    expect(await sizeRefusal(env.DB, job, { pages: 41, duration_s: null }, configured)).toMatchObject({
      code: "quota_exceeded",
      message: expect.stringContaining("daily quota of 40"),
    });
    const otherJob = await createQueuedJob(other.userId);
    expect(await sizeRefusal(env.DB, otherJob, { pages: 41, duration_s: null }, configured)).toBeNull();

    // `{}` gives the user the limits everyone has again.
    const cleared = UserLimitsSetting.parse(await (await setLimits(call, admin.auth, raised.userId, {})).json());
    expect(cleared).toMatchObject({ overrides: {}, updated_at: null, limits: { max_concurrent_jobs: 1 } });
    expect((await submit(call, raised.auth)).status).toBe(429);
  });

  it("are found by user email, replaced as a whole, read back, and refused when unknown, not positive, for no user or by a non-admin", async () => {
    const admin = await createUserWithKey(undefined, "admin");
    const email = `${crypto.randomUUID()}@example.test`;
    const { auth, userId } = await createUserWithKey(email);
    const call = withLimits({});
    // Operators know a user by email: the lookup gives the id the admin routes take.
    const found = await call(`/v1/admin/users?email=${encodeURIComponent(email.toUpperCase())}`, {
      headers: admin.auth,
    });
    expect(((await found.json()) as { data: { id: string }[] }).data.map((u) => u.id)).toEqual([userId]);
    expect((await call(`/v1/admin/users?email=${email}`, { headers: auth })).status).toBe(403);
    expect((await setLimits(call, admin.auth, userId, { daily_jobs: 5 })).status).toBe(200);
    expect((await setLimits(call, admin.auth, userId, { daily_audio_minutes: 90.5 })).status).toBe(200);
    const read = UserLimitsSetting.parse(
      await (await call(`/v1/admin/users/${userId}/limits`, { headers: admin.auth })).json(),
    );
    expect(read.overrides).toEqual({ daily_audio_minutes: 90.5 });
    expect(read.limits.daily_jobs).toBe(2000);

    for (const body of [{ daily_pages: 0 }, { daily_jobs: 1.5 }, { max_jobs: 3 }, { daily_pages: "10" }]) {
      const refused = await setLimits(call, admin.auth, userId, body);
      expect(refused.status).toBe(422);
      expect(Problem.parse(await refused.json()).code).toBe("validation_failed");
    }
    const unknown = await setLimits(call, admin.auth, "usr_nobody", { daily_jobs: 5 });
    expect(unknown.status).toBe(404);
    expect(Problem.parse(await unknown.json()).code).toBe("not_found");
    expect((await call("/v1/admin/users/usr_nobody/limits", { headers: admin.auth })).status).toBe(404);
    expect((await setLimits(call, auth, userId, { daily_jobs: 100_000 })).status).toBe(403);
    expect((await call(`/v1/admin/users/${userId}/limits`, { headers: auth })).status).toBe(403);
    expect(
      UserLimitsSetting.parse(await (await call(`/v1/admin/users/${userId}/limits`, { headers: admin.auth })).json())
        .overrides,
    ).toEqual({ daily_audio_minutes: 90.5 });

    // A row edited by hand, or holding a limit renamed since: what is valid of it still applies.
    await env.DB.prepare("UPDATE user_limits SET overrides = ? WHERE user_id = ?")
      .bind(JSON.stringify({ daily_audio_minutes: 90.5, max_jobs: 3, daily_pages: -1 }), userId)
      .run();
    const usage = await call("/v1/usage", { headers: auth });
    expect(usage.status).toBe(200);
    expect(Usage.parse(await usage.json()).limits).toMatchObject({ daily_audio_minutes: 90.5, daily_pages: 5000 });
  });
});

describe("request rate", () => {
  it("answers 429 rate_limited with Retry-After once a user passes its limit, over all its keys", async () => {
    const { auth } = await createUserWithKey();
    // A second key of the same user, made before the limit is reached: it shares the count.
    const minted = await SELF.fetch("https://api.test/v1/keys", {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: "second" }),
    });
    expect(minted.status).toBe(201);
    const second = { authorization: `Bearer ${((await minted.json()) as { key: string }).key}` };
    // The limit counts per minute window, so a run that crosses into the next window starts
    // counting again: ask until refused, for at most two windows' worth.
    const statuses: number[] = [];
    let refused: Response | null = null;
    while (!refused && statuses.length < 201) {
      const res = await SELF.fetch("https://api.test/v1/usage", { headers: auth });
      if (res.status === 429) refused = res;
      else statuses.push(res.status);
    }
    // The key's creation was the user's first request.
    expect(statuses.length + 1).toBeGreaterThanOrEqual(100);
    expect(statuses.every((s) => s === 200)).toBe(true);
    if (!refused) throw new Error("never refused");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("60");
    expect(Problem.parse(await refused.json()).code).toBe("rate_limited");
    expect((await SELF.fetch("https://api.test/v1/usage", { headers: second })).status).toBe(429);
    // Another user is counted on its own.
    expect((await SELF.fetch("https://api.test/v1/usage", { headers: (await createUserWithKey()).auth })).status).toBe(
      200,
    );
  });
});

describe("caps on what a user holds open", () => {
  const MiB = 1024 * 1024;
  const json = (auth: Record<string, string>, method: string, body?: unknown) => ({
    method,
    headers: { ...auth, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

  it("caps open multipart uploads in number and in bytes, and shows them in /v1/usage", async () => {
    const { auth } = await createUserWithKey();
    const api = withLimits({ max_open_uploads: 2, max_open_upload_bytes: 15 * MiB });
    const open = (size: number) => api("/v1/uploads", json(auth, "POST", { file_name: "scan.pdf", size }));
    expect((await open(6 * MiB)).status).toBe(201);
    // Bytes: 6 + 10 MiB would pass 15 MiB.
    const tooLarge = await open(10 * MiB);
    expect(tooLarge.status).toBe(429);
    expect(Problem.parse(await tooLarge.json())).toMatchObject({ code: "quota_exceeded" });
    expect((await open(6 * MiB)).status).toBe(201);
    // Number: a third is refused, however small.
    const third = await open(5 * MiB + 1);
    expect(third.status).toBe(429);
    expect(Problem.parse(await third.json()).detail).toMatch(/2 uploads of 12582912 bytes are open/);
    const usage = Usage.parse(await (await api("/v1/usage", { headers: auth })).json());
    expect(usage.open_uploads).toEqual({ count: 2, bytes: 12 * MiB });
    expect(usage.limits).toMatchObject({ max_open_uploads: 2, max_open_upload_bytes: 15 * MiB });
  });

  it("caps live API keys: a revoked key frees its place", async () => {
    const { auth } = await createUserWithKey();
    const api = withLimits({ max_api_keys: 2 });
    const create = (name: string) => api("/v1/keys", json(auth, "POST", { name }));
    const second = await create("second");
    expect(second.status).toBe(201);
    const refused = await create("third");
    expect(refused.status).toBe(429);
    expect(Problem.parse(await refused.json()).detail).toMatch(/2 API keys are live/);
    expect(Usage.parse(await (await api("/v1/usage", { headers: auth })).json()).api_keys).toBe(2);
    const { id } = (await second.json()) as { id: string };
    expect((await api(`/v1/keys/${id}`, json(auth, "DELETE"))).status).toBe(200);
    expect((await create("third")).status).toBe(201);
  });
});
