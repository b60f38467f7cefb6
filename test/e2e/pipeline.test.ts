import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  AvResult,
  canTransition,
  isTerminal,
  type JobEvent,
  JobEvent as JobEventSchema,
  JobResource,
  OcrResult,
  Problem,
} from "../../contracts";
import { applyMigrations, startStack, waitUntilReady } from "../../scripts/local-stack";
import { MediaFixtures } from "../support/media-fixtures";
import { characterErrorRate, wordErrorRate } from "../support/text-metrics";

/**
 * The whole platform as `npm run dev` starts it (media runner + wrangler dev with local D1, R2,
 * Queues and Durable Objects), driven over HTTP and WebSocket as a user would.
 */
const work = mkdtempSync(join(tmpdir(), "verbatim-e2e-"));
const fixtures = new MediaFixtures(work);
process.env.VERBATIM_STATE_DIR = join(work, "state");
const apiPort = 18787 + Math.floor(Math.random() * 500);
const logs: string[] = [];
let stack: ReturnType<typeof startStack>;
let auth: Record<string, string>;

const PAGE_1 = ["Invoice number 4711 from Verbatim", "Total amount due is 1234 euros"];
const PAGE_2 = ["Second page of the scanned letter", "Please pay within thirty days"];
const IMAGE_TEXT = ["The quick brown fox jumps over", "the lazy dog near the river bank"];
const BORN_DIGITAL = ["This document was typed on a computer", "so its text comes without recognition"];
const SPOKEN =
  "the quick brown fox jumped over the lazy dog. we went to the market this morning and bought some fresh bread and milk";

beforeAll(async () => {
  applyMigrations();
  stack = startStack({ apiPort, runnerPort: apiPort + 1000, log: (line) => logs.push(line) });
  await waitUntilReady(stack.url, 180_000);
  const out = execFileSync(
    resolve("node_modules/.bin/tsx"),
    ["scripts/keys-create.ts", "--email", "e2e@example.test"],
    {
      encoding: "utf8",
    },
  );
  const key = out.trim().split("\n").at(-1) ?? "";
  expect(key).toMatch(/^vb_/);
  auth = { authorization: `Bearer ${key}` };
});

afterAll(() => {
  stack?.stop();
  rmSync(work, { recursive: true, force: true });
});

async function submit(file: string, name: string): Promise<Response> {
  const bytes = readFileSync(file);
  const form = new FormData();
  form.append("file", new File([bytes], name));
  return fetch(`${stack.url}/v1/jobs`, { method: "POST", body: form, headers: auth });
}

/**
 * Follows a job over its WebSocket until the server closes it after the terminal event. The close
 * frame is what counts: the local dev proxy holds the TCP connection open for a while afterwards.
 */
function follow(jobId: string): Promise<JobEvent[]> {
  return new Promise((resolvePromise, reject) => {
    const events: JobEvent[] = [];
    const ws = new WebSocket(`${stack.url.replace("http", "ws")}/v1/jobs/${jobId}/events`, { headers: auth });
    const timer = setInterval(() => {
      if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) {
        clearInterval(timer);
        ws.terminate();
        resolvePromise(events);
      }
    }, 50);
    ws.on("message", (data) => events.push(JobEventSchema.parse(JSON.parse(String(data)))));
    ws.on("error", (err) => {
      clearInterval(timer);
      reject(err);
    });
  });
}

async function result(jobId: string, format: string): Promise<Response> {
  const res = await fetch(`${stack.url}/v1/jobs/${jobId}/result?format=${format}`, { headers: auth });
  expect(res.status, `${format}: ${res.status}`).toBe(200);
  return res;
}

/** Submits, follows to the end, and checks the transitions arrived in a legal order. */
async function runToEnd(file: string, name: string) {
  const res = await submit(file, name);
  expect(res.status, await res.clone().text()).toBe(202);
  const job = JobResource.parse(await res.json());
  const events = await follow(job.id);
  expect(events[0]?.type).toBe("snapshot");
  const statuses = events.map((e) => e.job.status);
  statuses.forEach((status, i) => {
    const before = statuses[i - 1];
    if (before && before !== status) expect(canTransition(before, status), statuses.join(" → ")).toBe(true);
  });
  expect(isTerminal(statuses.at(-1) ?? "queued"), statuses.join(" → ")).toBe(true);
  const final = JobResource.parse(await (await fetch(`${stack.url}/v1/jobs/${job.id}`, { headers: auth })).json());
  return { job: final, events };
}

const pdftotext = (pdf: Uint8Array) => {
  const file = join(work, `out-${crypto.randomUUID()}.pdf`);
  writeFileSync(file, pdf);
  // -raw: content-stream order, which is the order Tesseract wrote the words in.
  return execFileSync("pdftotext", ["-raw", file, "-"], { encoding: "utf8" });
};

describe("a file in, text out", () => {
  it("OCRs a scanned two-page PDF: text, JSON with boxes, searchable PDF; live events in order", async () => {
    const pages = [await fixtures.textImage("scan-1.png", PAGE_1), await fixtures.textImage("scan-2.png", PAGE_2)];
    const pdf = await fixtures.scannedPdf("scan.pdf", pages);
    const { job, events } = await runToEnd(pdf, "scan.pdf");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("ocr");
    expect(job.file.pages).toBe(2);
    const seen = [
      ...(events[0]?.history?.map((h) => h.to) ?? []),
      ...events
        .slice(1)
        .filter((e) => e.type === "status")
        .map((e) => e.job.status),
    ];
    expect(seen).toEqual(["queued", "processing", "succeeded"]);
    expect(events.some((e) => e.type === "progress" && e.job.progress?.done === 2)).toBe(true);

    const text = await (await result(job.id, "txt")).text();
    expect(characterErrorRate([...PAGE_1, ...PAGE_2].join("\n"), text)).toBeLessThan(0.05);
    const json = OcrResult.parse(await (await result(job.id, "json")).json());
    expect(json.pages.map((p) => [p.page, p.source])).toEqual([
      [1, "ocr"],
      [2, "ocr"],
    ]);
    const words = json.pages[0]?.blocks.flatMap((b) => b.lines.flatMap((l) => l.words)) ?? [];
    expect(words.find((w) => w.text === "4711")?.confidence).toBeGreaterThan(0.5);
    const searchable = new Uint8Array(await (await result(job.id, "pdf")).arrayBuffer());
    expect(characterErrorRate([...PAGE_1, ...PAGE_2].join("\n"), pdftotext(searchable))).toBeLessThan(0.05);
  });

  it("takes a born-digital PDF's text layer without OCR", async () => {
    const { job } = await runToEnd(await fixtures.textPdf("typed.pdf", [BORN_DIGITAL]), "typed.pdf");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const json = OcrResult.parse(await (await result(job.id, "json")).json());
    expect(json.pages[0]?.source).toBe("text-layer");
    expect(characterErrorRate(BORN_DIGITAL.join("\n"), await (await result(job.id, "txt")).text())).toBe(0);
  });

  it("OCRs a JPEG image", async () => {
    const jpg = await fixtures.convertImage(await fixtures.textImage("photo.png", IMAGE_TEXT), "photo.jpg");
    const { job } = await runToEnd(jpg, "photo.jpg");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(characterErrorRate(IMAGE_TEXT.join("\n"), await (await result(job.id, "txt")).text())).toBeLessThan(0.05);
  });

  it.each([
    ["an MP3", "speech.mp3"],
    ["an MP4 with a video track", "speech.mp4"],
  ])("transcribes %s: text, timed JSON, SRT and VTT", async (_, name) => {
    const wav = await fixtures.speech(`${name}.wav`, SPOKEN);
    const media = name.endsWith(".mp4")
      ? await fixtures.videoWithAudio(wav, name)
      : await fixtures.encodeAudio(wav, name);
    const { job } = await runToEnd(media, name);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("av");
    expect(job.file.duration_s).toBeGreaterThan(3);
    const text = await (await result(job.id, "txt")).text();
    expect(wordErrorRate(SPOKEN, text)).toBeLessThan(0.35);
    const json = AvResult.parse(await (await result(job.id, "json")).json());
    expect(json.segments.length).toBeGreaterThan(0);
    for (const s of json.segments) expect(s.end).toBeGreaterThanOrEqual(s.start);
    expect(await (await result(job.id, "srt")).text()).toMatch(/^1\n\d{2}:\d{2}:\d{2},\d{3} --> /);
    expect(await (await result(job.id, "vtt")).text()).toMatch(/^WEBVTT\n\n\d{2}:\d{2}:\d{2}\.\d{3} --> /);
  });

  it("fails a corrupt PDF with media_corrupt and refuses an unsupported file at upload", async () => {
    const corrupt = join(work, "broken.pdf");
    writeFileSync(
      corrupt,
      Buffer.concat([Buffer.from("%PDF-1.7\n"), readFileSync(await fixtures.garbage("g.bin", 4000))]),
    );
    const { job } = await runToEnd(corrupt, "broken.pdf");
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("media_corrupt");
    const notes = join(work, "notes.pdf");
    writeFileSync(notes, "plain text is not a document");
    const refused = await submit(notes, "notes.pdf");
    expect(refused.status).toBe(415);
    expect(Problem.parse(await refused.json()).code).toBe("unsupported_media_type");
  });
});

describe("every supported input format", () => {
  const SHORT = "we went to the market this morning and bought some fresh bread and milk";
  const LINES = ["Every format is welcome here", "including tagged image files"];
  const TIFF_PAGE_2 = ["The second page follows", "right after the first"];

  const images: Array<[string, () => Promise<string>]> = [
    ["PNG", () => fixtures.textImage("fmt.png", LINES)],
    ["WebP", async () => fixtures.convertImage(await fixtures.textImage("fmt-webp.png", LINES), "fmt.webp")],
    [
      "multi-page TIFF",
      async () =>
        fixtures.multiPageTiff("fmt.tif", [
          await fixtures.textImage("fmt-tiff-1.png", LINES),
          await fixtures.textImage("fmt-tiff-2.png", TIFF_PAGE_2),
        ]),
    ],
  ];

  it.each(images)("OCRs a %s", async (label, make) => {
    const { job } = await runToEnd(await make(), `upload-${label}`);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("ocr");
    const text = await (await result(job.id, "txt")).text();
    const tiff = label === "multi-page TIFF";
    expect(job.file.pages).toBe(tiff ? 2 : 1);
    const expected = tiff ? [...LINES, ...TIFF_PAGE_2] : LINES;
    expect(characterErrorRate(expected.join("\n"), text), text).toBeLessThan(0.05);
  });

  it.each(["wav", "m4a", "aac", "opus", "flac", "mov", "mkv", "webm"])("transcribes .%s", async (ext) => {
    const wav = await fixtures.speech(`fmt-${ext}.wav`, SHORT);
    const name = `fmt.${ext}`;
    const file =
      ext === "wav"
        ? wav
        : ["mov", "mkv", "webm"].includes(ext)
          ? await fixtures.videoWithAudio(wav, name)
          : await fixtures.encodeAudio(wav, name);
    const { job } = await runToEnd(file, `upload.${ext}`);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("av");
    expect(wordErrorRate(SHORT, await (await result(job.id, "txt")).text())).toBeLessThan(0.4);
  });
});
