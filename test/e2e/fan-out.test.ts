import { writeFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DeadLetterList, ExtractionResult, JobList, RunnerHealth } from "../../contracts";
import { pdfPageCount, pdfText, TALK_SENTENCES } from "../support/media-fixtures";
import { characterErrorRate, wordErrorRate } from "../support/text-metrics";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * Fan-out against the stack as `npm run dev` runs it, with small parts so small files split: two
 * pages per part, recordings in spans of about 8 s. The runner is started with two drill faults:
 * its first OCR run crashes (a transient failure, which only that part retries) and page 4 of any
 * document cannot be decoded (a part that fails for good, reported while the rest succeeds).
 */
let stack: E2eStack;
beforeAll(async () => {
  stack = await startE2eStack({
    vars: {
      FAN_OUT_PAGES: "2",
      FAN_OUT_SECONDS: "8",
      RETRY_POLICY: JSON.stringify({ transient: { base_seconds: 1, cap_seconds: 2 } }),
    },
    runnerEnv: { RUNNER_INJECT_OCR_CRASHES: "1", RUNNER_INJECT_UNREADABLE_PAGES: "4" },
  });
});
afterAll(() => stack?.stop());

const PAGES = [
  ["Part one holds the first page.", "Fan-out splits long documents."],
  ["The second page shares part one.", "Pages keep their order."],
  ["Page three starts the second part.", "Parts run in parallel."],
];

/** The consumer's log lines about one job. */
const consumerLog = (jobId: string) => stack.records(jobId).filter((record) => record.service === "consumer");

describe("fan-out of large jobs", () => {
  it("splits a scanned PDF into parts, retries the crashed part alone, and merges the pages in order", async () => {
    const images = await Promise.all(PAGES.map((lines, i) => stack.fixtures.textImage(`p${i}.png`, lines)));
    const pdf = await stack.fixtures.scannedPdf("three.pdf", images);
    const { job, events } = await stack.runToEnd(pdf, "three.pdf");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.parts).toEqual({ total: 2, done: 2, failed: [] });
    // The crash was retried inside its part: the job itself was never requeued.
    expect(job.attempts).toBe(1);
    const [snapshot] = await stack.follow(job.id);
    expect(snapshot?.history?.map((change) => change.to)).toEqual(["queued", "processing", "succeeded"]);
    // Progress counted pages over all parts, ending at all of them.
    const progress = events.flatMap((e) => (e.job.progress ? [e.job.progress] : []));
    expect(progress.at(-1)).toMatchObject({ done: 3, total: 3, unit: "pages" });
    await expect.poll(() => consumerLog(job.id).filter((r) => r.msg === "part will be retried").length).toBe(1);
    const claims = consumerLog(job.id).filter((r) => r.msg === "part claimed");
    expect(claims).toHaveLength(3); // two parts, one of them twice

    const result = ExtractionResult.parse(await (await stack.result(job.id, "json")).json());
    if (result.kind !== "ocr") throw new Error("expected an OCR result");
    expect(result.pages.map((p) => p.page)).toEqual([1, 2, 3]);
    for (const [index, lines] of PAGES.entries()) {
      expect(characterErrorRate(lines.join("\n"), result.pages[index]?.text ?? "")).toBeLessThan(0.05);
    }
    const searchable = stack.fixtures.path("merged.pdf");
    await writeFile(searchable, Buffer.from(await (await stack.result(job.id, "pdf")).arrayBuffer()));
    expect(await pdfPageCount(searchable)).toBe(3);
  });

  it("reports a part that failed for good and keeps the pages that succeeded", async () => {
    const lines = (n: number) => [`This is page number ${n} of five.`];
    const images = await Promise.all([1, 2, 3, 4, 5].map((n) => stack.fixtures.textImage(`q${n}.png`, lines(n))));
    const pdf = await stack.fixtures.scannedPdf("five.pdf", images);
    const { job } = await stack.runToEnd(pdf, "five.pdf");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.parts).toMatchObject({ total: 3, done: 2 });
    expect(job.parts?.failed).toEqual([
      expect.objectContaining({ part: 1, range: { unit: "pages", first: 3, last: 4 }, code: "media_corrupt" }),
    ]);
    const text = await (await stack.result(job.id, "txt")).text();
    expect(text).toContain("[pages 3–4 not extracted: media_corrupt]");
    expect(text.indexOf("page number 2")).toBeLessThan(text.indexOf("[pages 3–4"));
    expect(text.indexOf("[pages 3–4")).toBeLessThan(text.indexOf("page number 5"));
    const result = ExtractionResult.parse(await (await stack.result(job.id, "json")).json());
    expect(result.kind === "ocr" && result.pages.map((p) => p.page)).toEqual([1, 2, 5]);
    expect(result.failed_parts).toHaveLength(1);
    // The searchable PDF has every page in place: pages 3–4 as scanned, without a text layer.
    const searchable = stack.fixtures.path("five-merged.pdf");
    await writeFile(searchable, Buffer.from(await (await stack.result(job.id, "pdf")).arrayBuffer()));
    expect(await pdfPageCount(searchable)).toBe(5);
    const layer = await pdfText(searchable);
    expect(layer).toContain("page number 5");
    expect(layer).not.toContain("page number 3");
    expect(layer.indexOf("page number 2")).toBeLessThan(layer.indexOf("page number 5"));
    // An input error is not retried: each part was claimed once.
    expect(consumerLog(job.id).filter((r) => r.msg === "part claimed")).toHaveLength(3);
  });

  it("splits only the pages asked for into parts, and keeps a failed part's own pages in the PDF", async () => {
    const lines = (n: number) => [`Selected page number ${n} of five.`];
    const images = await Promise.all([1, 2, 3, 4, 5].map((n) => stack.fixtures.textImage(`s${n}.png`, lines(n))));
    const pdf = await stack.fixtures.scannedPdf("five-selected.pdf", images);
    const { job } = await stack.runToEnd(pdf, "five-selected.pdf", undefined, { pages: "1,3-5" });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.file.pages).toBe(4);
    // Parts of two selected pages each: 1 and 3, then 4 and 5 (page 4 cannot be decoded).
    expect(job.parts).toMatchObject({ total: 2, done: 1 });
    expect(job.parts?.failed).toEqual([
      expect.objectContaining({ part: 1, range: { unit: "pages", first: 4, last: 5 }, code: "media_corrupt" }),
    ]);
    const result = ExtractionResult.parse(await (await stack.result(job.id, "json")).json());
    expect(result.kind === "ocr" && result.pages.map((p) => p.page)).toEqual([1, 3]);
    const searchable = stack.fixtures.path("five-selected-merged.pdf");
    await writeFile(searchable, Buffer.from(await (await stack.result(job.id, "pdf")).arrayBuffer()));
    expect(await pdfPageCount(searchable)).toBe(4);
    const layer = await pdfText(searchable);
    expect(layer).toContain("page number 3");
    expect(layer).not.toContain("page number 2");
  });

  it("splits a recording at pauses and merges one transcript on the file's timeline", async () => {
    const mp3 = await stack.fixtures.talk("fan-talk", 2);
    const { job } = await stack.runToEnd(mp3, "talk.mp3");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.parts?.total).toBeGreaterThanOrEqual(3);
    expect(job.parts).toMatchObject({ done: job.parts?.total, failed: [] });
    const result = ExtractionResult.parse(await (await stack.result(job.id, "json")).json());
    if (result.kind !== "av") throw new Error("expected a transcript");
    expect(result.duration_s).toBeGreaterThan(25);
    const starts = result.segments.map((s) => s.start);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(result.segments.at(-1)?.end).toBeGreaterThan(20);
    const said = Array(2).fill(TALK_SENTENCES.join(" ")).join(" ");
    expect(wordErrorRate(said, await (await stack.result(job.id, "txt")).text())).toBeLessThan(0.4);
    const srt = await (await stack.result(job.id, "srt")).text();
    expect(srt).toMatch(/^1\n00:00:0/);
  });

  it("leaves nothing behind: every job terminal, no dead letters, the runner idle", async () => {
    const list = JobList.parse(await (await fetch(`${stack.url}/v1/jobs?limit=100`, { headers: stack.auth })).json());
    expect(list.data).toHaveLength(4);
    for (const job of list.data) expect(job.status).toBe("succeeded");
    const admin = { authorization: `Bearer ${stack.createKey("fan-out@example.test", true)}` };
    const dead = DeadLetterList.parse(
      await (await fetch(`${stack.url}/v1/admin/dead-letters`, { headers: admin })).json(),
    );
    expect(dead.data).toEqual([]);
    const health = RunnerHealth.parse(await (await fetch(`${stack.runnerUrl}/healthz`)).json());
    expect(health.busy).toBe(0);
  });
});
