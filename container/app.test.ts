import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Problem } from "../contracts/errors";
import { createLogger } from "../contracts/log";
import { RunnerEvent, RunnerHealth } from "../contracts/runner";
import { MediaFixtures } from "../test/support/media-fixtures";
import { pocketsphinx } from "./engines/pocketsphinx";
import type { SpeechEngine } from "./engines/speech-engine";
import { ProcessPool } from "./pool";
import { finalEvent, postFile } from "./testing/ndjson-client";
import { type RunningRunner, startRunner } from "./testing/runner-harness";

let fixtures: MediaFixtures;
/** The runner's temp directories go here (os.tmpdir() follows TMPDIR), so leftovers can be seen. */
let jobsDir: string;
let page: string;
const runners: RunningRunner[] = [];

beforeAll(async () => {
  fixtures = new MediaFixtures(await mkdtemp(join(tmpdir(), "verbatim-app-test-")));
  jobsDir = await mkdtemp(join(tmpdir(), "verbatim-jobs-"));
  process.env.TMPDIR = jobsDir;
  page = await fixtures.textImage("page.png", ["Short page of text for the runner tests."]);
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.close()));
});

afterAll(async () => {
  await rm(fixtures.dir, { recursive: true, force: true });
  await rm(jobsDir, { recursive: true, force: true });
});

async function runnerWith(...args: Parameters<typeof startRunner>): Promise<RunningRunner> {
  const runner = await startRunner(...args);
  runners.push(runner);
  return runner;
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("GET /healthz", () => {
  it("reports the engines' versions, the OCR languages and the pool", async () => {
    const runner = await runnerWith();
    const response = await fetch(`${runner.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    const health = RunnerHealth.parse(await response.json());
    expect(health).toMatchObject({ ok: true, concurrency: 2, busy: 0 });
    expect(Object.keys(health.engines).sort()).toEqual(["ffmpeg", "pocketsphinx", "poppler", "tesseract"]);
    expect(health.engines.tesseract).toMatch(/^\d+\.\d+/);
    expect(health.engines.ffmpeg).toMatch(/\d+\.\d+/);
    expect(health.engines.pocketsphinx).toMatch(/0\.8/);
    expect(health.languages).toContain("eng");
    expect(health.languages).not.toContain("osd");
  });
});

describe("requests refused before work starts", () => {
  it("answers unknown routes with a problem", async () => {
    const runner = await runnerWith();
    const response = await fetch(`${runner.baseUrl}/v1/nothing`, { method: "POST" });
    expect(response.status).toBe(404);
    expect(Problem.parse(await response.json()).code).toBe("not_found");
  });

  it("answers an empty body with file_empty and echoes the request id", async () => {
    const runner = await runnerWith();
    const response = await fetch(`${runner.baseUrl}/v1/ocr?language=eng`, {
      method: "POST",
      headers: { "content-type": "image/png", "x-request-id": "job-123" },
      body: new Uint8Array(0),
    });
    expect(response.status).toBe(400);
    expect(Problem.parse(await response.json())).toMatchObject({ code: "file_empty", request_id: "job-123" });
    expect(await readdir(jobsDir)).toEqual([]);
  });
});

describe("engine failures", () => {
  // Retryable failures are logged for operators as error lines carrying the request id and code.
  let lines: string[] = [];
  const log = () => createLogger("runner", "info", {}, (line) => lines.push(line));
  beforeEach(() => {
    lines = [];
  });
  afterEach(() => {
    const failures = lines.map((l) => JSON.parse(l)).filter((r) => r.msg === "job failed");
    expect(failures).toEqual([expect.objectContaining({ level: "error", error_code: "engine_failed" })]);
    expect(typeof failures[0].request_id).toBe("string");
  });

  it("reports an engine that times out as engine_failed, retryable", async () => {
    const runner = await runnerWith({ engineTimeoutMs: 1, log: log() });
    const last = finalEvent(await postFile(`${runner.baseUrl}/v1/ocr?language=eng`, page, "image/png"));
    expect(last).toMatchObject({ type: "error", code: "engine_failed", retryable: true });
    expect(last.type === "error" && last.message).toMatch(/timed out/);
  });

  it("reports an engine that crashes as engine_failed, retryable, and keeps serving", async () => {
    const crashing: SpeechEngine = {
      ...pocketsphinx,
      transcribe: async (run) => {
        await run("sh", ["-c", "kill -SEGV $$"]);
        return [];
      },
    };
    const runner = await runnerWith({ speech: crashing, log: log() });
    const audio = await fixtures.speech("hello.wav", "Hello there.");
    const last = finalEvent(await postFile(`${runner.baseUrl}/v1/transcribe?language=eng`, audio, "audio/wav"));
    expect(last).toMatchObject({ type: "error", code: "engine_failed", retryable: true });
    expect((await fetch(`${runner.baseUrl}/healthz`)).status).toBe(200);
  });
});

describe("resources", () => {
  it("serves concurrent requests through one shared pool of engine processes", async () => {
    const pool = new ProcessPool(1);
    let peak = 0;
    const use = pool.use.bind(pool);
    pool.use = (task, signal) =>
      use(() => {
        peak = Math.max(peak, pool.busy);
        return task();
      }, signal);
    const runner = await runnerWith({ pool });
    const tiff = await fixtures.multiPageTiff("two.tif", [page, page]);
    const replies = await Promise.all(
      [1, 2, 3].map(() => postFile(`${runner.baseUrl}/v1/ocr?language=eng`, tiff, "image/tiff")),
    );
    for (const reply of replies) expect(finalEvent(reply).type).toBe("result");
    expect(peak).toBe(1);
    expect(await readdir(jobsDir)).toEqual([]);
  });

  it("refuses jobs past its limit with 503 and Retry-After instead of piling them up", async () => {
    const runner = await runnerWith({ pool: new ProcessPool(1), maxJobs: 1 });
    const scan = await fixtures.scannedPdf("busy-scan.pdf", [page, page, page]);
    const first = postFile(`${runner.baseUrl}/v1/ocr?language=eng`, scan, "application/pdf");
    await new Promise((r) => setTimeout(r, 300)); // the first job is running
    const refused = await fetch(`${runner.baseUrl}/v1/ocr?language=eng`, {
      method: "POST",
      headers: { "content-type": "image/png" },
      body: await readFile(page),
    });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toMatchObject({ code: "runner_unavailable" });
    expect(finalEvent(await first).type).toBe("result");
    // Free again once the first job ended.
    expect(finalEvent(await postFile(`${runner.baseUrl}/v1/ocr?language=eng`, page, "image/png")).type).toBe("result");
  });

  it("kills the job's processes and deletes its files when the client disconnects", async () => {
    const pool = new ProcessPool(1);
    const runner = await runnerWith({ pool });
    const scan = await fixtures.scannedPdf(
      "long-scan.pdf",
      Array.from({ length: 8 }, () => page),
    );
    const client = new AbortController();
    const response = await fetch(`${runner.baseUrl}/v1/ocr?language=eng`, {
      method: "POST",
      headers: { "content-type": "application/pdf" },
      body: await readFile(scan),
      signal: client.signal,
    });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(RunnerEvent.parse(JSON.parse(new TextDecoder().decode(first?.value).split("\n")[0] ?? ""))).toMatchObject({
      type: "probe",
      pages: 8,
    });
    expect(await readdir(jobsDir)).toHaveLength(1);

    // Eight 300 dpi pages through one slot take several seconds; the teardown must not wait for them.
    client.abort();
    await eventually(async () => pool.busy === 0 && (await readdir(jobsDir)).length === 0, 1500);
  });

  it("deletes a half-received upload when the client disconnects during it", async () => {
    const runner = await runnerWith();
    const client = new AbortController();
    const endlessBody = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    const upload = fetch(`${runner.baseUrl}/v1/ocr?language=eng`, {
      method: "POST",
      headers: { "content-type": "application/pdf" },
      body: endlessBody,
      duplex: "half",
      signal: client.signal,
    } as RequestInit);
    await eventually(async () => (await readdir(jobsDir)).length === 1, 2000);
    client.abort();
    await expect(upload).rejects.toThrow();
    await eventually(async () => (await readdir(jobsDir)).length === 0, 1500);
  });
});
