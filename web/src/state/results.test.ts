import { effect } from "@preact/signals";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resultFileName } from "../../../contracts/job";
import type { OcrResult } from "../../../contracts/results";

const apiFetch = vi.fn<(path: string, init?: RequestInit) => Promise<Response>>();
vi.mock("../api/client", () => ({ apiFetch }));
vi.mock("../lib/pdf", () => ({
  openPdf: vi.fn(async (data: ArrayBuffer) => ({ doc: { numPages: data.byteLength }, close: vi.fn(async () => {}) })),
}));

const {
  failedParts,
  filenameFromDisposition,
  JobResults,
  MAX_PAGE_SOURCE_BYTES,
  pageSourceOf,
  resultsFor,
  segmentAt,
  toWebVtt,
} = await import("./results");

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const file = { name: "Scan 1.pdf", size: 1000, mime: "application/pdf", sha256: "x", pages: 2, duration_s: null };

beforeEach(() => apiFetch.mockReset());
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe("file names of downloads", () => {
  it("reads filename* first, then filename", () => {
    expect(filenameFromDisposition(`inline; filename="Scan_1.txt"; filename*=UTF-8''Sc%C3%A4n%201.txt`)).toBe(
      "Scän 1.txt",
    );
    expect(filenameFromDisposition(`attachment; filename="report \\"final\\".json"`)).toBe('report "final".json');
    expect(filenameFromDisposition("attachment; filename=plain.srt")).toBe("plain.srt");
  });

  it("falls back on a malformed filename* and refuses paths and empty names", () => {
    expect(filenameFromDisposition(`inline; filename="ok.txt"; filename*=UTF-8''%E0%A4%A.txt`)).toBe("ok.txt");
    expect(filenameFromDisposition(`inline; filename="../../etc/passwd"`)).toBe("passwd");
    expect(filenameFromDisposition(`inline; filename=".."`)).toBeNull();
    expect(filenameFromDisposition("inline")).toBeNull();
    expect(filenameFromDisposition(null)).toBeNull();
  });

  it("makes a name from the upload's name without a header", () => {
    expect(resultFileName("Scan 1.pdf", "txt")).toBe("Scan 1.txt");
    expect(resultFileName("talk.final.mp3", "vtt")).toBe("talk.final.vtt");
    expect(resultFileName("README", "json")).toBe("README.json");
    expect(resultFileName(".pdf", "txt")).toBe("result.txt");
    // The searchable PDF is not saved under the scan's own name.
    expect(resultFileName("scan.pdf", "pdf")).toBe("scan.searchable.pdf");
  });
});

describe("pageSourceOf", () => {
  it("draws images and PDFs, not TIFF, not over 100 MB", () => {
    expect(pageSourceOf({ mime: "image/png", size: 10 })).toEqual({ kind: "image" });
    expect(pageSourceOf({ mime: "image/jpeg", size: 10 })).toEqual({ kind: "image" });
    expect(pageSourceOf({ mime: "image/webp", size: 10 })).toEqual({ kind: "image" });
    expect(pageSourceOf({ mime: "application/pdf", size: MAX_PAGE_SOURCE_BYTES })).toEqual({ kind: "pdf" });
    expect(pageSourceOf({ mime: "application/pdf", size: MAX_PAGE_SOURCE_BYTES + 1 })).toEqual({
      kind: "none",
      reason: "too_large",
    });
    expect(pageSourceOf({ mime: "image/tiff", size: 10 })).toEqual({ kind: "none", reason: "tiff" });
    expect(pageSourceOf({ mime: "audio/mpeg", size: 10 })).toEqual({ kind: "none", reason: "unsupported" });
  });
});

describe("segmentAt", () => {
  const segments = [
    { start: 0, end: 2 },
    { start: 2, end: 5 },
    { start: 7, end: 9 },
  ];
  it("finds the segment playing at a time", () => {
    expect(segmentAt(segments, 0)).toBe(0);
    expect(segmentAt(segments, 1.99)).toBe(0);
    expect(segmentAt(segments, 2)).toBe(1);
    expect(segmentAt(segments, 8)).toBe(2);
  });
  it("finds none between, before and after segments", () => {
    expect(segmentAt(segments, 6)).toBe(-1);
    expect(segmentAt(segments, 9)).toBe(-1);
    expect(segmentAt(segments, -1)).toBe(-1);
    expect(segmentAt([], 3)).toBe(-1);
  });
});

describe("toWebVtt", () => {
  it("writes the caption track by the subtitle rules, escaping what would break a cue", () => {
    expect(
      toWebVtt([
        { start: 0, end: 1.5, text: " Hello " },
        // Shown, not dropped: joined to the words just before it.
        { start: 1.5, end: 1.5, text: "zero length" },
        { start: 2, end: 3, text: "   " },
        { start: 3661.25, end: 3662, text: "a --> b\n\nc", speaker: "Speaker 1" },
      ]),
    ).toBe(
      "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello zero length\n\n01:01:01.250 --> 01:01:02.083\n<v Speaker 1>a --&gt; b c\n",
    );
  });

  it("splits a long segment into cues of at most two lines of 42 characters", () => {
    const text = "This is a long segment that goes on and on, well past what two lines of a caption can hold at once.";
    const vtt = toWebVtt([{ start: 0, end: 6, text }]);
    const cues = vtt.slice("WEBVTT\n\n".length).trimEnd().split("\n\n");
    expect(cues.length).toBe(2);
    for (const cue of cues) {
      const lines = cue.split("\n").slice(1);
      expect(lines.length).toBeLessThanOrEqual(2);
      for (const line of lines) expect(line.length).toBeLessThanOrEqual(42);
    }
  });
});

describe("failedParts", () => {
  const failure = {
    part: 1,
    range: { unit: "pages", first: 3, last: 4 },
    code: "engine_failed",
    message: "x",
  } as const;
  it("takes the JSON result's list once loaded, else the job's", () => {
    const job = { parts: { total: 2, done: 1, failed: [failure] } };
    expect(failedParts(job, { state: "loading" })).toEqual([failure]);
    expect(failedParts({ parts: null }, { state: "idle" })).toEqual([]);
    const result: OcrResult = {
      kind: "ocr",
      engine: "t",
      language: "eng",
      pages: [],
      warnings: [],
      failed_parts: [failure],
    };
    expect(failedParts({ parts: null }, { state: "ready", value: result })).toEqual([failure]);
    expect(failedParts(job, { state: "ready", value: { ...result, failed_parts: undefined } })).toEqual([]);
  });
});

describe("JobResults", () => {
  it("fetches the text once, and again only after a failure", async () => {
    const results = new JobResults({ id: "job_1", kind: "ocr", file });
    apiFetch.mockRejectedValueOnce(new Error("offline"));
    results.loadText();
    expect(results.text.value).toEqual({ state: "loading" });
    await settle();
    expect(results.text.value.state).toBe("error");
    apiFetch.mockResolvedValueOnce(new Response("hello"));
    results.loadText();
    await settle();
    results.loadText();
    await settle();
    expect(results.text.value).toEqual({ state: "ready", value: "hello" });
    expect(apiFetch).toHaveBeenCalledTimes(2);
    expect(apiFetch).toHaveBeenLastCalledWith("/v1/jobs/job_1/result?format=txt");
  });

  it("refuses a JSON result of the other kind", async () => {
    const results = new JobResults({ id: "job_1", kind: "av", file });
    apiFetch.mockResolvedValueOnce(Response.json({ kind: "ocr", pages: [] }));
    results.loadData();
    await settle();
    expect(results.data.value.state).toBe("error");
  });

  it("reads the source with its progress, and drops it on release", async () => {
    const results = new JobResults({ id: "job_2", kind: "av", file: { ...file, mime: "audio/mpeg", size: 6 } });
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new Uint8Array([1, 2, 3]));
        controller.enqueue(new Uint8Array([4, 5, 6]));
        controller.close();
      },
    });
    apiFetch.mockResolvedValueOnce(new Response(body, { headers: { "content-type": "audio/mpeg" } }));
    results.loadSource();
    for (let i = 0; i < 5; i++) await settle();
    const source = results.source.value;
    expect(source.state).toBe("ready");
    if (source.state !== "ready") return;
    expect(source.value.size).toBe(6);
    expect(source.value.type).toBe("audio/mpeg");
    expect(results.sourceReceived.value).toBe(6);
    expect(apiFetch.mock.calls[0]?.[0]).toBe("/v1/jobs/job_2/source");
    results.releaseSource();
    expect(results.source.value).toEqual({ state: "idle" });
  });

  it("drops a source that arrives after the release", async () => {
    const results = new JobResults({ id: "job_3", kind: "ocr", file });
    let answer: (res: Response) => void = () => {};
    apiFetch.mockReturnValueOnce(new Promise((resolve) => (answer = resolve)));
    results.loadPdf();
    results.releaseSource();
    answer(new Response(new Uint8Array(4)));
    for (let i = 0; i < 5; i++) await settle();
    expect(results.pdf.value).toEqual({ state: "idle" });
  });

  it("downloads under the header's name, else the upload's", async () => {
    const saved: string[] = [];
    vi.stubGlobal("document", {
      createElement: () => ({
        click(this: { download: string }) {
          saved.push(this.download);
        },
        remove() {},
      }),
      body: { append() {} },
    });
    vi.spyOn(URL, "createObjectURL").mockReturnValue("blob:x");
    vi.spyOn(URL, "revokeObjectURL").mockImplementation(() => {});
    const results = new JobResults({ id: "job_4", kind: "ocr", file });
    apiFetch.mockResolvedValueOnce(
      new Response("t", { headers: { "content-disposition": `inline; filename="Scan 1.txt"` } }),
    );
    await results.download("txt");
    apiFetch.mockResolvedValueOnce(new Response("{}"));
    await results.download("json");
    apiFetch.mockRejectedValueOnce(new Error("offline"));
    await results.download("pdf");
    expect(saved).toEqual(["Scan 1.txt", "Scan 1.json"]);
    expect(results.downloads.value.txt).toEqual({ state: "ready", value: "Scan 1.txt" });
    expect(results.downloads.value.pdf?.state).toBe("error");
  });

  it("copies the loaded text, says so for a moment, and keeps a refusal's problem", async () => {
    vi.useFakeTimers();
    const writeText = vi.fn(async (_text: string) => {});
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    const results = new JobResults({ id: "job_5", kind: "ocr", file });
    await results.copyText();
    expect(writeText).not.toHaveBeenCalled();
    apiFetch.mockResolvedValueOnce(new Response("hello"));
    results.loadText();
    await vi.waitFor(() => expect(results.text.value.state).toBe("ready"));
    await results.copyText();
    expect(writeText).toHaveBeenCalledWith("hello");
    expect(results.copy.value).toEqual({ state: "copied" });
    vi.runAllTimers();
    expect(results.copy.value).toEqual({ state: "idle" });
    writeText.mockRejectedValueOnce(new Error("not allowed"));
    await results.copyText();
    const copy = results.copy.value;
    expect(copy.state).toBe("failed");
    if (copy.state === "failed") expect((copy.error as Error).message).toMatch(/refused to copy/);
  });

  it("keeps one object per job in the cache", () => {
    const a = resultsFor({ id: "job_a", kind: "ocr", file });
    expect(resultsFor({ id: "job_a", kind: "ocr", file })).toBe(a);
    for (const id of ["b", "c", "d", "e", "f"]) resultsFor({ id: `job_${id}`, kind: "ocr", file });
    expect(resultsFor({ id: "job_a", kind: "ocr", file })).not.toBe(a);
  });

  it("writes no signal when it drops a job from the cache (it runs while rendering)", () => {
    const first = resultsFor({ id: "job_g", kind: "ocr", file });
    first.source.value = { state: "ready", value: new Blob(["x"]) };
    let writes = -1;
    const stop = effect(() => {
      void [first.text.value, first.data.value, first.source.value, first.pdf.value, first.sourceReceived.value];
      void [first.downloads.value, first.copy.value];
      writes++;
    });
    for (const id of ["h", "i", "j", "k", "l", "m"]) resultsFor({ id: `job_${id}`, kind: "ocr", file });
    stop();
    expect(writes).toBe(0);
    expect(resultsFor({ id: "job_g", kind: "ocr", file })).not.toBe(first);
  });
});
