import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobResource, Problem, Upload } from "../../contracts";
import { sourceKey } from "../../contracts/storage";
import { sha256Hex } from "../lib/crypto";
import { coordinatorFor } from "../services/coordinator";
import { purgeExpiredUploads } from "../services/uploads";
import { createQueuedJob, createUserWithKey, TINY_PNG, withLimits } from "../test/helpers";

const MiB = 1024 * 1024;
/** A 6 MiB "image": a real PNG header (what sniffing reads) followed by padding. Two parts of 5 MiB + 1 MiB. */
function bigPng(): Uint8Array {
  const bytes = new Uint8Array(6 * MiB);
  bytes.set(TINY_PNG);
  bytes.fill(7, TINY_PNG.length);
  return bytes;
}

const api = (path: string, auth: Record<string, string>, init: RequestInit = {}) =>
  SELF.fetch(`https://api.test${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });

async function start(auth: Record<string, string>, body: unknown, headers: Record<string, string> = {}) {
  return api("/v1/uploads", auth, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
}
const put = (auth: Record<string, string>, id: string, n: number, bytes: Uint8Array) =>
  api(`/v1/uploads/${id}/parts/${n}`, auth, {
    method: "PUT",
    body: bytes,
    headers: { "content-length": String(bytes.length) },
  });

/** The job id an upload will create (not shown until the job exists). */
const jobIdOf = async (uploadId: string) =>
  String((await env.DB.prepare("SELECT job_id FROM uploads WHERE id = ?").bind(uploadId).first())?.job_id);

describe("multipart uploads", () => {
  it("takes a file in parts, in any order, resumably, and completes it into a job", async () => {
    const { auth } = await createUserWithKey();
    const file = bigPng();
    const created = await start(auth, { file_name: "poster.png", size: file.length, options: { language: "eng" } });
    expect(created.status).toBe(201);
    const upload = Upload.parse(await created.json());
    expect(upload).toMatchObject({ part_size: 5 * MiB, part_count: 2, received: [], job_id: null });

    expect((await put(auth, upload.id, 2, file.subarray(5 * MiB))).status).toBe(200);
    // Resuming: the upload says what is still missing.
    const halfway = Upload.parse(await (await api(`/v1/uploads/${upload.id}`, auth)).json());
    expect(halfway.received).toEqual([2]);
    const early = await api(`/v1/uploads/${upload.id}/complete`, auth, { method: "POST" });
    expect(early.status).toBe(422);
    expect(Problem.parse(await early.json()).detail).toContain("parts not received yet: 1");
    expect((await put(auth, upload.id, 1, file.subarray(0, 5 * MiB))).status).toBe(200);

    const done = await api(`/v1/uploads/${upload.id}/complete`, auth, { method: "POST" });
    expect(done.status).toBe(202);
    const job = JobResource.parse(await done.json());
    expect(job).toMatchObject({ kind: "ocr", status: "queued" });
    expect(job.file).toMatchObject({ name: "poster.png", size: file.length, mime: "image/png" });
    expect(job.file.sha256).toBe(await sha256Hex(file.slice().buffer));
    const stored = await env.FILES.get(sourceKey(job.id));
    expect(stored?.size).toBe(file.length);
    // Completing again answers the same job.
    const again = await api(`/v1/uploads/${upload.id}/complete`, auth, { method: "POST" });
    expect(again.status).toBe(200);
    expect(JobResource.parse(await again.json()).id).toBe(job.id);
    expect(Upload.parse(await (await api(`/v1/uploads/${upload.id}`, auth)).json()).job_id).toBe(job.id);
  });

  it("refuses parts of the wrong length or number", async () => {
    const { auth } = await createUserWithKey();
    const upload = Upload.parse(await (await start(auth, { file_name: "a.png", size: 6 * MiB })).json());
    expect((await put(auth, upload.id, 1, new Uint8Array(1024))).status).toBe(422);
    expect((await put(auth, upload.id, 3, new Uint8Array(MiB))).status).toBe(422);
  });

  it("checks the assembled content as a direct upload is checked, and keeps nothing refused", async () => {
    const { auth } = await createUserWithKey();
    const text = new TextEncoder().encode("just text, not a document");
    const upload = Upload.parse(await (await start(auth, { file_name: "notes.pdf", size: text.length })).json());
    expect((await put(auth, upload.id, 1, text)).status).toBe(200);
    const key = sourceKey(await jobIdOf(upload.id));
    const res = await api(`/v1/uploads/${upload.id}/complete`, auth, { method: "POST" });
    expect(res.status).toBe(415);
    expect(Problem.parse(await res.json()).code).toBe("unsupported_media_type");
    // Discarded: the file and the upload.
    expect(await env.FILES.head(key)).toBeNull();
    expect((await api(`/v1/uploads/${upload.id}`, auth)).status).toBe(404);
    expect((await api(`/v1/uploads/${upload.id}/complete`, auth, { method: "POST" })).status).toBe(404);
  });

  it("checks the quotas again at completion: refused, the file waits for a later completion or the purge", async () => {
    const call = withLimits({ max_concurrent_jobs: 1 });
    const { auth, userId } = await createUserWithKey();
    const upload = Upload.parse(
      await (
        await call("/v1/uploads", {
          method: "POST",
          body: JSON.stringify({ file_name: "a.png", size: TINY_PNG.length }),
          headers: { ...auth, "content-type": "application/json" },
        })
      ).json(),
    );
    expect((await put(auth, upload.id, 1, TINY_PNG)).status).toBe(200);
    // Another job started meanwhile: at the limit.
    const running = await createQueuedJob(userId);
    const complete = () => call(`/v1/uploads/${upload.id}/complete`, { method: "POST", headers: auth });
    const refused = await complete();
    expect(refused.status).toBe(429);
    expect(Problem.parse(await refused.json()).code).toBe("quota_exceeded");
    expect(refused.headers.get("retry-after")).toBe("30");
    // Assembled, but no job yet: none is announced.
    expect(Upload.parse(await (await api(`/v1/uploads/${upload.id}`, auth)).json()).job_id).toBeNull();

    await coordinatorFor(env, running.id).transition("canceled");
    const done = await complete();
    expect(done.status).toBe(202);
    const job = JobResource.parse(await done.json());
    expect(Upload.parse(await (await api(`/v1/uploads/${upload.id}`, auth)).json()).job_id).toBe(job.id);
  });

  it("purges uploads that did not become a job within a day, assembled or not, and keeps those that did", async () => {
    const { auth } = await createUserWithKey();
    const call = withLimits({ max_concurrent_jobs: 1 });
    const make = async (name: string) => {
      const upload = Upload.parse(await (await start(auth, { file_name: name, size: TINY_PNG.length })).json());
      expect((await put(auth, upload.id, 1, TINY_PNG)).status).toBe(200);
      return { upload, key: sourceKey(await jobIdOf(upload.id)) };
    };
    const partsOnly = await make("parts.png");
    const waiting = await make("waiting.png");
    const became = await make("job.png");
    expect((await api(`/v1/uploads/${became.upload.id}/complete`, auth, { method: "POST" })).status).toBe(202);
    // At the limit now: `waiting` is assembled but refused.
    expect((await call(`/v1/uploads/${waiting.upload.id}/complete`, { method: "POST", headers: auth })).status).toBe(
      429,
    );
    expect(await env.FILES.head(waiting.key)).not.toBeNull();

    const tomorrow = new Date(Date.now() + 25 * 3600 * 1000);
    expect(await purgeExpiredUploads(env, tomorrow)).toBeGreaterThanOrEqual(2);
    for (const gone of [partsOnly, waiting]) {
      expect((await api(`/v1/uploads/${gone.upload.id}`, auth)).status).toBe(404);
      expect(await env.FILES.head(gone.key)).toBeNull();
    }
    expect(await env.FILES.head(became.key)).not.toBeNull();
    expect((await api(`/v1/uploads/${became.upload.id}`, auth)).status).toBe(200);
  });

  it("makes creation safe to retry with an Idempotency-Key", async () => {
    const { auth } = await createUserWithKey();
    const body = { file_name: "a.png", size: 6 * MiB };
    const first = Upload.parse(await (await start(auth, body, { "idempotency-key": "up-1" })).json());
    expect((await put(auth, first.id, 2, new Uint8Array(MiB))).status).toBe(200);
    const retry = await start(auth, body, { "idempotency-key": "up-1" });
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    // The upload as it is now: a client retrying sends only what is missing.
    expect(Upload.parse(await retry.json())).toMatchObject({ id: first.id, received: [2], job_id: null });
    const other = await start(auth, { ...body, size: 7 * MiB }, { "idempotency-key": "up-1" });
    expect(other.status).toBe(422);
    expect(Problem.parse(await other.json()).code).toBe("idempotency_key_reused");
  });

  it("refuses files larger than multipart uploads may be", async () => {
    const { auth } = await createUserWithKey();
    const res = await start(auth, { file_name: "huge.mp4", size: 6 * 1024 ** 3 });
    expect(res.status).toBe(413);
  });
});
