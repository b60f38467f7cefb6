import { type Signal, signal } from "@preact/signals";
import { type ResultFormat, resultFileName } from "../../../contracts/job";
import type { PartFailure } from "../../../contracts/parts";
import type { AvResult, AvSegment, OcrResult } from "../../../contracts/results";
import { type SubtitleSegment, vttSubtitles } from "../../../contracts/subtitles";
import { apiFetch, type Job } from "../api/client";
import { copyText } from "../lib/clipboard";
import { openPdf } from "../lib/pdf";
import { clearOnSignOut } from "./session";

/**
 * The results of a succeeded job as the results panel shows them: the text, the JSON result (pages
 * and their lines, or the transcript's segments), the uploaded file (page images, the PDF, the
 * recording) and the downloads. Each is fetched once per job, when a tab first needs it, and kept
 * while the panel is open, so switching tabs does not fetch again.
 */

/** Where a fetch stands. */
type Load<T> =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "ready"; value: T }
  | { state: "error"; error: unknown };

const IDLE = { state: "idle" } as const;

/** Page images are not fetched for a larger file: the text is shown alone. */
export const MAX_PAGE_SOURCE_BYTES = 100 * 1024 * 1024;
/** Recordings are not fetched for a larger file: the transcript is shown without a player. */
export const MAX_MEDIA_SOURCE_BYTES = 200 * 1024 * 1024;
/** Lines recognized with less confidence than this are outlined as doubtful. */
export const LOW_CONFIDENCE = 0.6;

/** Image types browsers draw (TIFF is not one of them). */
const DRAWABLE_IMAGES = new Set(["image/png", "image/jpeg", "image/webp", "image/gif"]);

/** How the pages of an OCR job can be shown beside their text. */
type PageSource = { kind: "image" } | { kind: "pdf" } | { kind: "none"; reason: "tiff" | "too_large" | "unsupported" };

export function pageSourceOf(file: Pick<Job["file"], "mime" | "size">): PageSource {
  const mime = file.mime.toLowerCase();
  if (mime === "image/tiff") return { kind: "none", reason: "tiff" };
  const kind = mime === "application/pdf" ? "pdf" : DRAWABLE_IMAGES.has(mime) ? "image" : null;
  if (!kind) return { kind: "none", reason: "unsupported" };
  if (file.size > MAX_PAGE_SOURCE_BYTES) return { kind: "none", reason: "too_large" };
  return { kind };
}

type ResultData = OcrResult | AvResult;

/** An open PDF: the document, and how to free it. */
type OpenPdf = Awaited<ReturnType<typeof openPdf>>;

/** How long "Copied" stays up after the text was copied. */
const COPIED_MS = 2500;

/** The last Copy of the text: "copied" for a moment, or why the browser did not copy it. */
type CopyState = { state: "idle" } | { state: "copied" } | { state: "failed"; error: unknown };

export class JobResults {
  readonly text: Signal<Load<string>> = signal(IDLE);
  readonly data: Signal<Load<ResultData>> = signal(IDLE);
  /** The uploaded file (page image or recording). */
  readonly source: Signal<Load<Blob>> = signal(IDLE);
  /** The uploaded PDF, opened with PDF.js. */
  readonly pdf: Signal<Load<OpenPdf>> = signal(IDLE);
  /** Bytes of the uploaded file received so far, while it loads. */
  readonly sourceReceived = signal(0);
  readonly downloads: Signal<Partial<Record<ResultFormat, Load<string>>>> = signal({});
  readonly copy: Signal<CopyState> = signal(IDLE);

  /** Ends the source's fetch when the results are released. */
  private aborter: AbortController | null = null;
  /** Puts `copy` back to idle a while after a copy. */
  private copiedTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly job: Pick<Job, "id" | "kind" | "file">) {}

  private get base(): string {
    return `/v1/jobs/${encodeURIComponent(this.job.id)}`;
  }

  /** The txt result. */
  loadText(): void {
    load(this.text, async () => (await apiFetch(`${this.base}/result?format=txt`)).text());
  }

  /** The JSON result (OcrResult or AvResult). */
  loadData(): void {
    load(this.data, async () => {
      const value = (await (await apiFetch(`${this.base}/result?format=json`)).json()) as ResultData;
      if (value?.kind !== this.job.kind) throw new Error(`The JSON result is not an ${this.job.kind} result`);
      return value;
    });
  }

  /** The uploaded file, as a blob (images, recordings). */
  loadSource(): void {
    load(this.source, () => this.fetchSource());
  }

  /** The uploaded PDF, opened (the file itself is not kept: PDF.js holds its own copy). */
  loadPdf(): void {
    load(this.pdf, async () => openPdf(await (await this.fetchSource()).arrayBuffer()));
  }

  /** Fetches a result in one format and saves it as a file; `downloads[format]` says how it went. */
  async download(format: ResultFormat): Promise<void> {
    const set = (value: Load<string>) => {
      this.downloads.value = { ...this.downloads.value, [format]: value };
    };
    if (this.downloads.value[format]?.state === "loading") return;
    set({ state: "loading" });
    try {
      const res = await apiFetch(`${this.base}/result?format=${format}`);
      const name =
        filenameFromDisposition(res.headers.get("content-disposition")) ?? resultFileName(this.job.file.name, format);
      saveBlob(await res.blob(), name);
      set({ state: "ready", value: name });
    } catch (error) {
      set({ state: "error", error });
    }
  }

  /** Puts the loaded text on the clipboard; `copy` says how it went. */
  async copyText(): Promise<void> {
    const text = this.text.peek();
    if (text.state !== "ready") return;
    clearTimeout(this.copiedTimer);
    try {
      await copyText(text.value);
      this.copy.value = { state: "copied" };
      this.copiedTimer = setTimeout(() => {
        this.copy.value = IDLE;
      }, COPIED_MS);
    } catch (error) {
      this.copy.value = { state: "failed", error };
    }
  }

  /** Drops what is large (the uploaded file, the open PDF); the text and JSON stay cached. */
  releaseSource(): void {
    this.aborter?.abort();
    this.aborter = null;
    const pdf = this.pdf.peek();
    if (pdf.state === "ready") void pdf.value.close();
    this.pdf.value = IDLE;
    this.source.value = IDLE;
    this.sourceReceived.value = 0;
  }

  private async fetchSource(): Promise<Blob> {
    this.aborter?.abort();
    const aborter = new AbortController();
    this.aborter = aborter;
    this.sourceReceived.value = 0;
    const res = await apiFetch(`${this.base}/source`, { signal: aborter.signal });
    const type = res.headers.get("content-type") ?? this.job.file.mime;
    if (!res.body) return new Blob([await res.arrayBuffer()], { type });
    // Read in chunks to show how much has come (the file may be up to 200 MB).
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    const reader = res.body.getReader();
    let received = 0;
    let shown = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value as Uint8Array<ArrayBuffer>);
      received += value.byteLength;
      // A re-render per percent, not per chunk.
      if (received - shown >= this.job.file.size / 100) {
        shown = received;
        if (this.aborter === aborter) this.sourceReceived.value = received;
      }
    }
    if (this.aborter === aborter) {
      this.sourceReceived.value = received;
      this.aborter = null;
    }
    return new Blob(chunks, { type });
  }
}

/**
 * Runs `fetcher` into `target` unless it is loading or loaded already (after an error it runs
 * again: that is the retry). A result that comes after the signal was reset (released) is dropped.
 */
function load<T>(target: Signal<Load<T>>, fetcher: () => Promise<T>): void {
  const now = target.peek();
  if (now.state === "loading" || now.state === "ready") return;
  const loading: Load<T> = { state: "loading" };
  target.value = loading;
  fetcher().then(
    (value) => {
      if (target.peek() === loading) target.value = { state: "ready", value };
      else if (isOpenPdf(value)) void value.close();
    },
    (error: unknown) => {
      if (target.peek() === loading) target.value = { state: "error", error };
    },
  );
}

function isOpenPdf(value: unknown): value is OpenPdf {
  return typeof value === "object" && value !== null && "doc" in value && "close" in value;
}

/** Results of the last few jobs seen; older ones are dropped. */
const CACHED_JOBS = 5;
/** A plain map, not a signal: `resultsFor` runs while a component renders. */
const cache = new Map<string, JobResults>();
// The results are the signed-in user's: gone with the session.
clearOnSignOut(() => cache.clear());

/**
 * The results of a job, the same object for the same job while it is cached. Called while the
 * results panel renders, so it writes no signal: the results it creates are idle until a tab's
 * effect loads them, and the ones it drops are only forgotten. Their large parts (the uploaded
 * file, the open PDF) were released already by the panel that showed them, when it closed.
 */
export function resultsFor(job: Pick<Job, "id" | "kind" | "file">): JobResults {
  let results = cache.get(job.id);
  if (results) cache.delete(job.id);
  else results = new JobResults(job);
  cache.set(job.id, results);
  for (const id of cache.keys()) {
    if (cache.size <= CACHED_JOBS) break;
    cache.delete(id);
  }
  return results;
}

/** The file name of a Content-Disposition header: `filename*` (RFC 5987) first, else `filename`. */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(header);
  if (extended?.[1]) {
    try {
      return safeName(decodeURIComponent(extended[1].trim()));
    } catch {
      // A malformed encoding: fall back to the plain name.
    }
  }
  const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s]+))/.exec(header);
  const name = plain?.[1]?.replace(/\\(.)/g, "$1") ?? plain?.[2];
  return name ? safeName(name) : null;
}

function safeName(name: string): string | null {
  const base = name.split(/[/\\]/).pop()?.trim() ?? "";
  return base === "" || base === "." || base === ".." ? null : base;
}

/** Saves a blob as a file through a temporary `<a download>`. */
function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The download has its own reference once started; give slow browsers a minute.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The index of the segment playing at `time` (seconds), or -1 between and outside segments. */
export function segmentAt(segments: readonly Pick<AvSegment, "start" | "end">[], time: number): number {
  let low = 0;
  let high = segments.length - 1;
  let found = -1;
  // The last segment starting at or before `time` (segments are in order).
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((segments[mid]?.start ?? Number.POSITIVE_INFINITY) <= time) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  const segment = segments[found];
  return segment && time < segment.end ? found : -1;
}

/** The failed parts of a job: from its JSON result once loaded, else from the job itself. */
export function failedParts(job: Pick<Job, "parts">, data: Load<ResultData>): PartFailure[] {
  if (data.state === "ready") return data.value.failed_parts ?? [];
  return (job.parts?.failed ?? []) as PartFailure[];
}

/** The transcript as WebVTT captions for the player's caption track, by the same rules as the API's downloads. */
export function toWebVtt(segments: readonly SubtitleSegment[]): string {
  return vttSubtitles(segments);
}
