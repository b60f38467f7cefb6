import { env, SELF } from "cloudflare:test";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { JobCounts, JobList, JobResource, Problem } from "../../../contracts";
import { coordinatorFor } from "../../services/coordinator";
import { createQueuedJob, createUserWithKey, TINY_PNG, uploadForm } from "../../test/helpers";

const post = (auth: Record<string, string>, form: FormData, headers: Record<string, string> = {}) =>
  SELF.fetch("https://api.test/v1/jobs", { method: "POST", body: form, headers: { ...auth, ...headers } });

describe("POST /v1/jobs", () => {
  it("accepts an image, decides the kind from its bytes and answers 202 with the job", async () => {
    const { auth } = await createUserWithKey();
    const res = await post(auth, uploadForm(TINY_PNG, "scan.upload"), { "x-request-id": "req-create-1" });
    expect(res.status).toBe(202);
    expect(res.headers.get("x-request-id")).toBe("req-create-1");
    const job = JobResource.parse(await res.json());
    expect(job).toMatchObject({ kind: "ocr", status: "queued", request_id: "req-create-1" });
    expect(job.file).toMatchObject({ name: "scan.upload", size: TINY_PNG.length, mime: "image/png" });
    expect(job.links.results).toHaveProperty("pdf");
    expect(res.headers.get("location")).toBe(`/v1/jobs/${job.id}`);
  });

  it("keeps the job queued when the work queue cannot be reached: its watchdog sends the work later", async () => {
    const { auth } = await createUserWithKey();
    const send = vi.spyOn(env.OCR_QUEUE, "sendBatch").mockRejectedValue(new Error("queue unreachable"));
    onTestFinished(() => send.mockRestore());
    const res = await post(auth, uploadForm(TINY_PNG, "a.png"));
    expect(res.status).toBe(202);
    const job = JobResource.parse(await res.json());
    expect(send).toHaveBeenCalled();
    expect((await coordinatorFor(env, job.id).get())?.status).toBe("queued");
    expect(await coordinatorFor(env, job.id).watchdogAt()).not.toBeNull();
  });

  it.each([
    ["no file", () => new FormData(), 400, "file_missing"],
    ["an empty file", () => uploadForm(new Uint8Array(), "a.png"), 400, "file_empty"],
    [
      "text content",
      () => uploadForm(new TextEncoder().encode("just some text, not a document"), "a.pdf"),
      415,
      "unsupported_media_type",
    ],
    ["an image named as a recording", () => uploadForm(TINY_PNG, "talk.mp3"), 415, "media_type_mismatch"],
    ["an image named as a PDF", () => uploadForm(TINY_PNG, "scan.PDF"), 415, "media_type_mismatch"],
    [
      "an image declared as audio",
      () => {
        const form = new FormData();
        form.append("file", new File([TINY_PNG], "upload", { type: "audio/mpeg" }));
        return form;
      },
      415,
      "media_type_mismatch",
    ],
    ["options that are not JSON", () => uploadForm(TINY_PNG, "a.png", "{nope"), 422, "validation_failed"],
    ["an unknown option", () => uploadForm(TINY_PNG, "a.png", { colour: "red" }), 422, "validation_failed"],
    ["a malformed language", () => uploadForm(TINY_PNG, "a.png", { language: "english" }), 422, "validation_failed"],
  ])("refuses %s with a problem+json", async (_, form, status, code) => {
    const { auth } = await createUserWithKey();
    const res = await post(auth, form());
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = Problem.parse(await res.json());
    expect({ status: res.status, code: problem.code }, problem.detail).toEqual({ status, code });
    expect(problem.request_id).toBe(res.headers.get("x-request-id"));
  });

  it("treats a polyglot as what its first bytes are: a PNG that is also a PDF is a PNG", async () => {
    const { auth } = await createUserWithKey();
    const pdfTail = new TextEncoder().encode(
      "\n%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    );
    const polyglot = new Uint8Array([...TINY_PNG, ...pdfTail]);
    const accepted = await post(auth, uploadForm(polyglot, "both.png"));
    expect(accepted.status).toBe(202);
    expect(JobResource.parse(await accepted.json()).file).toMatchObject({ mime: "image/png" });
    // Named for the other format it pretends to be, it is refused.
    const refused = await post(auth, uploadForm(polyglot, "both.pdf"));
    expect(refused.status).toBe(415);
    expect(Problem.parse(await refused.json()).code).toBe("media_type_mismatch");
  });

  it("accepts a name or type of the same family, or one that claims nothing", async () => {
    const { auth } = await createUserWithKey();
    for (const name of ["photo.jpeg", "scan.tiff", "upload", "file.dat"]) {
      expect((await post(auth, uploadForm(TINY_PNG, name))).status, name).toBe(202);
    }
    const generic = new FormData();
    generic.append("file", new File([TINY_PNG], "x.png", { type: "application/octet-stream" }));
    expect((await post(auth, generic)).status).toBe(202);
  });

  it("refuses a body larger than the configured limit before reading it", async () => {
    const { auth } = await createUserWithKey();
    const res = await post(auth, uploadForm(TINY_PNG, "a.png"), { "content-length": String(200 * 1024 * 1024) });
    expect(res.status).toBe(413);
    expect(Problem.parse(await res.json()).code).toBe("payload_too_large");
  });
});

describe("authentication", () => {
  it.each([
    ["no header", {}],
    ["a key that does not exist", { authorization: "Bearer vb_doesnotexist" }],
    ["another scheme", { authorization: "Basic dXNlcjpwYXNz" }],
  ])("answers 401 to %s", async (_, headers) => {
    const res = await SELF.fetch("https://api.test/v1/jobs", { headers });
    expect(res.status).toBe(401);
    expect(Problem.parse(await res.json()).code).toBe("unauthorized");
  });

  it("stops a revoked key at once", async () => {
    const { auth, userId } = await createUserWithKey();
    expect((await SELF.fetch("https://api.test/v1/jobs", { headers: auth })).status).toBe(200);
    const { env } = await import("cloudflare:test");
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE user_id = ?")
      .bind(new Date().toISOString(), userId)
      .run();
    expect((await SELF.fetch("https://api.test/v1/jobs", { headers: auth })).status).toBe(401);
  });
});

describe("GET /v1/jobs and /v1/jobs/{id}", () => {
  it("lists the caller's jobs newest first with a cursor, and nobody else's", async () => {
    const alice = await createUserWithKey();
    const bob = await createUserWithKey();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(alice.auth, uploadForm(TINY_PNG, `page-${i}.png`));
      ids.push(JobResource.parse(await res.json()).id);
    }
    await post(bob.auth, uploadForm(TINY_PNG, "bob.png"));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url = `https://api.test/v1/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`;
      const page = JobList.parse(await (await SELF.fetch(url, { headers: alice.auth })).json());
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((j) => j.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());

    const own = await SELF.fetch(`https://api.test/v1/jobs/${ids[0]}`, { headers: alice.auth });
    expect(own.status).toBe(200);
    expect(JobResource.parse(await own.json()).id).toBe(ids[0]);
    const other = await SELF.fetch(`https://api.test/v1/jobs/${ids[0]}`, { headers: bob.auth });
    expect(other.status).toBe(404);
    expect(Problem.parse(await other.json()).code).toBe("not_found");
  });

  it("finds jobs by file name (any case, % and _ taken literally) and counts them per status", async () => {
    const { auth } = await createUserWithKey();
    for (const name of ["Invoice-March.png", "invoice_april.png", "receipt.png", "100%.png"]) {
      await post(auth, uploadForm(TINY_PNG, name));
    }
    const find = async (q: string) =>
      JobList.parse(
        await (await SELF.fetch(`https://api.test/v1/jobs?q=${encodeURIComponent(q)}`, { headers: auth })).json(),
      ).data.map((j) => j.file.name);
    expect(await find("INVOICE")).toEqual(["invoice_april.png", "Invoice-March.png"]);
    expect(await find("e_a")).toEqual(["invoice_april.png"]);
    expect(await find("%")).toEqual(["100%.png"]);
    expect(await find("nothing")).toEqual([]);

    const counts = JobCounts.parse(
      await (await SELF.fetch("https://api.test/v1/jobs/counts", { headers: auth })).json(),
    );
    expect(counts).toEqual({ queued: 4, processing: 0, succeeded: 0, failed: 0, canceled: 0 });
  });

  it("keeps the counts per status exact through every transition (triggers on the jobs table)", async () => {
    const { auth, userId } = await createUserWithKey();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await createQueuedJob(userId)).id);
    const [a = "", b = "", c = ""] = ids;
    await coordinatorFor(env, a).claim("consumer-1");
    await coordinatorFor(env, b).claim("consumer-1");
    await coordinatorFor(env, b).transition("succeeded");
    await coordinatorFor(env, c).transition("canceled");
    // A transition refused by the state machine changes nothing, nor does writing the same status again.
    await coordinatorFor(env, c).transition("processing");
    await env.DB.prepare("UPDATE jobs SET status = status WHERE id = ?").bind(c).run();
    const counts = JobCounts.parse(
      await (await SELF.fetch("https://api.test/v1/jobs/counts", { headers: auth })).json(),
    );
    expect(counts).toEqual({ queued: 1, processing: 1, succeeded: 1, failed: 0, canceled: 1 });
    const { results } = await env.DB.prepare("SELECT status, count(*) AS n FROM jobs WHERE user_id = ? GROUP BY status")
      .bind(userId)
      .all<{ status: string; n: number }>();
    for (const { status, n } of results) expect(counts[status as keyof typeof counts]).toBe(n);
  });

  it("answers 422 to a malformed id or cursor", async () => {
    const { auth } = await createUserWithKey();
    expect((await SELF.fetch("https://api.test/v1/jobs/nope", { headers: auth })).status).toBe(422);
    expect((await SELF.fetch("https://api.test/v1/jobs?cursor=zzz", { headers: auth })).status).toBe(422);
  });
});

describe("health", () => {
  it("answers /healthz without credentials", async () => {
    const res = await SELF.fetch("https://api.test/healthz");
    expect(res.status).toBe(200);
  });

  it("reports not ready, naming the runner, when the runner is down", async () => {
    const res = await SELF.fetch("https://api.test/readyz");
    expect(res.status).toBe(503);
    const body = (await res.json()) as { checks: Record<string, { ok: boolean }> };
    expect(body.checks.d1?.ok).toBe(true);
    expect(body.checks.r2?.ok).toBe(true);
    expect(body.checks.ocr_queue?.ok).toBe(true);
    expect(body.checks.runner?.ok).toBe(false);
  });

  it("reports D1 not ready while a migration is missing", async () => {
    const { env } = await import("cloudflare:test");
    const last = await env.DB.prepare("SELECT id, name FROM d1_migrations ORDER BY id DESC LIMIT 1").first<{
      id: number;
      name: string;
    }>();
    await env.DB.prepare("DELETE FROM d1_migrations WHERE id = ?").bind(last?.id).run();
    try {
      const body = (await (await SELF.fetch("https://api.test/readyz")).json()) as {
        checks: Record<string, { ok: boolean }>;
      };
      expect(body.checks.d1?.ok).toBe(false);
    } finally {
      await env.DB.prepare("INSERT INTO d1_migrations (id, name) VALUES (?, ?)").bind(last?.id, last?.name).run();
    }
    const again = (await (await SELF.fetch("https://api.test/readyz")).json()) as {
      checks: Record<string, { ok: boolean }>;
    };
    expect(again.checks.d1?.ok).toBe(true);
  });

  it("serves the OpenAPI document", async () => {
    const res = await SELF.fetch("https://api.test/v1/openapi.json");
    expect(res.status, await res.clone().text()).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/v1/jobs/{id}/events");
  });
});

describe("GET /v1/jobs/{id}/source", () => {
  it("returns the upload as received, whole or by byte range", async () => {
    const { auth } = await createUserWithKey();
    const job = JobResource.parse(await (await post(auth, uploadForm(TINY_PNG, "scan.png"))).json());
    const whole = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/source`, { headers: auth });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toBe("image/png");
    expect(whole.headers.get("accept-ranges")).toBe("bytes");
    expect(new Uint8Array(await whole.arrayBuffer())).toEqual(TINY_PNG);

    const part = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/source`, {
      headers: { ...auth, range: "bytes=1-3" },
    });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe(`bytes 1-3/${TINY_PNG.length}`);
    expect(new TextDecoder().decode(await part.arrayBuffer())).toBe("PNG");
    const tail = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/source`, {
      headers: { ...auth, range: "bytes=-4" },
    });
    expect(tail.headers.get("content-range")).toBe(
      `bytes ${TINY_PNG.length - 4}-${TINY_PNG.length - 1}/${TINY_PNG.length}`,
    );
    expect(new Uint8Array(await tail.arrayBuffer())).toEqual(TINY_PNG.slice(-4));

    const outside = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/source`, {
      headers: { ...auth, range: `bytes=${TINY_PNG.length}-` },
    });
    expect(outside.status).toBe(416);
    const empty = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/source`, {
      headers: { ...auth, range: "bytes=-0" },
    });
    expect(empty.status).toBe(416);
    // Past the end: clamped. Backwards or malformed: ignored, the whole file.
    const past = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/source`, {
      headers: { ...auth, range: "bytes=60-999999" },
    });
    expect(past.headers.get("content-range")).toBe(`bytes 60-${TINY_PNG.length - 1}/${TINY_PNG.length}`);
    expect(new Uint8Array(await past.arrayBuffer())).toEqual(TINY_PNG.slice(60));
    for (const range of ["bytes=5-2", "bytes=1-2,4-5", "items=1-2"]) {
      const whole = await SELF.fetch(`https://api.test/v1/jobs/${job.id}/source`, { headers: { ...auth, range } });
      expect(whole.status, range).toBe(200);
      expect((await whole.arrayBuffer()).byteLength).toBe(TINY_PNG.length);
    }
    expect(whole.headers.get("x-content-type-options")).toBe("nosniff");
    expect(outside.headers.get("content-range")).toBe(`bytes */${TINY_PNG.length}`);
  });
});
