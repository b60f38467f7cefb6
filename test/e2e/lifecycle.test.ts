import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobResource, Problem, RunnerHealth } from "../../contracts";
import { type E2eStack, STACK_WORK_MS, startE2eStack } from "./stack";

let stack: E2eStack;
beforeAll(async () => {
  stack = await startE2eStack();
});
afterAll(() => stack?.stop());

const runnerBusy = async () => RunnerHealth.parse(await (await fetch(`${stack.runnerUrl}/healthz`)).json()).busy;

describe("job lifecycle", () => {
  it("cancels a job while the engines run: the runner stops, the job ends canceled, no result appears", async () => {
    // About two minutes of speech: several chunks, so the job is still running when it is canceled.
    const mp3 = await stack.fixtures.talk("long", 8);

    let canceled: Promise<Response> | null = null;
    const { job, events } = await stack.runToEnd(mp3, "long.mp3", (event, jobId) => {
      if (!canceled && event.job.status === "processing" && event.job.progress?.stage === "transcribe") {
        canceled = fetch(`${stack.url}/v1/jobs/${jobId}/cancel`, { method: "POST", headers: stack.auth });
      }
    });
    expect(canceled, "the job never reached transcription").not.toBeNull();
    const answer = await (canceled as unknown as Promise<Response>);
    expect(answer.status).toBe(200);
    expect(JobResource.parse(await answer.json()).status).toBe("canceled");
    expect(job.status).toBe("canceled");
    expect(events.at(-1)?.job.status).toBe("canceled");
    const done = job.progress?.done ?? 0;
    expect(done).toBeLessThan(job.progress?.total ?? 0);

    // The consumer hung up on the runner, which killed its engine processes.
    await expect.poll(runnerBusy, { timeout: STACK_WORK_MS, interval: 200 }).toBe(0);
    const res = await fetch(`${stack.url}/v1/jobs/${job.id}/result?format=txt`, { headers: stack.auth });
    expect(res.status).toBe(409);
    expect(Problem.parse(await res.json()).code).toBe("result_not_ready");
    // Nothing arrives later either.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await stack.getJob(job.id)).status).toBe("canceled");
  });
});

describe("operator commands", () => {
  const dlq = (args: string[], key: string) =>
    spawnSync(resolve("node_modules/.bin/tsx"), ["scripts/dlq.ts", ...args], {
      encoding: "utf8",
      env: { ...process.env, VERBATIM_URL: stack.url, VERBATIM_API_KEY: key },
    });

  it("lists and replays dead letters with an admin key, and refuses others with exit codes scripts can use", () => {
    const adminKey = stack.createKey("ops@example.test", true);
    const listed = dlq(["list", "--pending"], adminKey);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toContain("no dead letters");
    const replayed = dlq(["replay", "--code", "runner_unavailable"], adminKey);
    expect(replayed.status, replayed.stderr).toBe(0);
    expect(replayed.stdout).toContain("0 replayed, 0 skipped");

    const refused = dlq(["list"], stack.key);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("forbidden");
    expect(dlq(["replay"], adminKey).status).toBe(2);
    expect(dlq(["list", "--code", "no_such_code"], adminKey).status).toBe(2);
  });

  it("lists and changes feature flags, effective for callers without a restart", async () => {
    const adminKey = stack.createKey("flags@example.test", true);
    const flags = (args: string[]) =>
      spawnSync(resolve("node_modules/.bin/tsx"), ["scripts/flags.ts", ...args], {
        encoding: "utf8",
        env: { ...process.env, VERBATIM_URL: stack.url, VERBATIM_API_KEY: adminKey },
      });
    const listed = flags(["list"]);
    expect(listed.status, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/^reuse_identical\s+on\s+100%/m);
    const off = flags(["set", "reuse_identical", "--enabled", "false"]);
    expect(off.status, off.stderr).toBe(0);
    expect(off.stdout).toMatch(/^reuse_identical\s+off/m);
    const mine = async () =>
      ((await (await fetch(`${stack.url}/v1/flags`, { headers: stack.auth })).json()) as Record<string, boolean>)
        .reuse_identical;
    await expect.poll(mine, { timeout: STACK_WORK_MS }).toBe(false);
    expect(flags(["set", "reuse_identical", "--enabled", "true"]).status).toBe(0);
    await expect.poll(mine, { timeout: STACK_WORK_MS }).toBe(true);
    expect(flags(["set", "no_such_flag"]).status).toBe(2);
    expect(flags(["set", "reuse_identical", "--rollout", "150"]).status).toBe(2);
  });
});

describe("tracing one job", () => {
  it("finds every stage of a job's life in the logs by the request id it was submitted with", async () => {
    const requestId = `trace-${crypto.randomUUID()}`;
    const png = await stack.fixtures.textImage("trace.png", ["Follow the request id"]);
    const form = new FormData();
    form.append("file", new File([await readFile(png)], "trace.png"));
    const res = await fetch(`${stack.url}/v1/jobs`, {
      method: "POST",
      body: form,
      headers: { ...stack.auth, "x-request-id": requestId },
    });
    expect(res.headers.get("x-request-id")).toBe(requestId);
    const job = JobResource.parse(await res.json());
    await stack.follow(job.id);

    const traced = () => stack.records(requestId);
    // Lines arrive from several processes; wait for the last of each stage's.
    const last = [
      ["runner", "job ended"],
      ["consumer", "job succeeded"],
    ];
    await expect
      .poll(() => last.every(([service, msg]) => traced().some((r) => r.service === service && r.msg === msg)))
      .toBe(true);
    const records = traced();
    const seen = (service: string, msg: string) => records.some((r) => r.service === service && r.msg === msg);
    expect(seen("api", "request")).toBe(true);
    expect(seen("coordinator", "status changed")).toBe(true);
    expect(seen("consumer", "job claimed")).toBe(true);
    expect(seen("consumer", "job succeeded")).toBe(true);
    expect(seen("runner", "job started")).toBe(true);
    const changes = records.filter((r) => r.service === "coordinator").map((r) => r.to);
    expect(changes).toEqual(["queued", "processing", "succeeded"]);
    for (const record of records.filter((r) => r.service !== "api" && r.service !== "runner")) {
      expect(record.job_id).toBe(job.id);
    }
    // No secret reaches the logs.
    expect(stack.logs.join("\n")).not.toContain(stack.key);
  });
});

describe("the verbatim CLI (on the typed client)", () => {
  const cli = (args: string[], key = stack.key, env: Record<string, string> = {}) =>
    spawnSync(resolve("node_modules/.bin/tsx"), ["cli/verbatim.ts", ...args], {
      encoding: "utf8",
      env: { ...process.env, VERBATIM_URL: stack.url, VERBATIM_API_KEY: key, ...env },
    });

  it("submits a file, follows it to the end and prints the result, with exit codes scripts can use", async () => {
    const png = await stack.fixtures.textImage("cli.png", ["Scripts read exit codes", "and standard output"]);
    const done = cli(["submit", png, "--wait", "--format", "txt"]);
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toContain("Scripts read exit codes");
    // Progress went to stderr, one line per change (not a terminal here).
    expect(done.stderr).toMatch(/submitted job_\w+ \(ocr\), request \S+/);
    expect(done.stderr).toContain("progress 1/1 pages");

    const id = /submitted (job_\w+)/.exec(done.stderr)?.[1] as string;
    const status = cli(["status", id]);
    expect(status.status).toBe(0);
    expect(JobResource.parse(JSON.parse(status.stdout)).status).toBe("succeeded");
    const json = cli(["result", id, "--format", "json"]);
    expect(JSON.parse(json.stdout).kind).toBe("ocr");
    const markdown = cli(["result", id, "--format", "md"]);
    expect(markdown.status, markdown.stderr).toBe(0);
    expect(markdown.stdout).toMatch(/^<!-- page 1 -->\n\nScripts read exit codes and standard output\n$/);

    // OCR's page handling is on unless the command line turns it off.
    expect(JobResource.parse(JSON.parse(status.stdout)).options).toMatchObject({ rotate_pages: true, deskew: true });
    const plain = cli(["submit", png, "--no-rotate-pages", "--no-deskew", "--language", "auto", "--pages", "1"]);
    expect(plain.status, plain.stderr).toBe(0);
    const plainId = /submitted (job_\w+)/.exec(plain.stderr)?.[1] as string;
    expect(JobResource.parse(JSON.parse(cli(["status", plainId]).stdout)).options).toEqual({
      language: "auto",
      rotate_pages: false,
      deskew: false,
      pages: "1",
    });
  });

  it("uploads a large file in parts (multipart upload) and gets the same result", async () => {
    const png = await stack.fixtures.textImage("cli-parts.png", ["Large files travel in parts"]);
    const inParts = { VERBATIM_MULTIPART_BYTES: "1" };
    const done = cli(
      ["submit", png, "--wait", "--format", "txt", "--idempotency-key", "cli-parts"],
      stack.key,
      inParts,
    );
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toContain("Large files travel in parts");
    // The same command again (a script retrying) gets the same job, uploading nothing again.
    const again = cli(["submit", png, "--idempotency-key", "cli-parts"], stack.key, inParts);
    expect(again.status, again.stderr).toBe(0);
    expect(/submitted (job_\w+)/.exec(again.stderr)?.[1]).toBe(/submitted (job_\w+)/.exec(done.stderr)?.[1]);
  });

  it("exits 3 when the job fails, 1 when the API refuses, 2 on bad usage", async () => {
    const poison = resolve(stack.work, "cli-poison.pdf");
    await writeFile(poison, "%PDF-1.4\n% not really a PDF\n");
    const failed = cli(["submit", poison, "--wait"]);
    expect(failed.status).toBe(3);
    expect(failed.stderr).toContain("media_corrupt");

    const refused = cli(["status", "job_01ARZ3NDEKTSV4RRFFQ69G5FAV"]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("not_found");
    expect(cli(["status", "job_01ARZ3NDEKTSV4RRFFQ69G5FAV"], "vb_not_a_key").status).toBe(1);
    expect(cli(["frobnicate"]).status).toBe(2);
    expect(cli(["submit", "/no/such/file.png"]).status).toBe(2);
    expect(cli(["result", "job_01ARZ3NDEKTSV4RRFFQ69G5FAV"]).status).toBe(2);
    // Refused before anything is uploaded.
    const formatOnly = cli(["submit", poison, "--format", "txt"]);
    expect(formatOnly.status).toBe(2);
    expect(formatOnly.stderr).not.toContain("submitted");
  });
});
