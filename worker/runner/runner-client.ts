import { type ErrorCode, type ExtractionResult, type JobKind, type PdfMergeLayout, RunnerEvent } from "../../contracts";
import type { ErrorClass } from "../../contracts/retry-policy";
import { bytesFromBase64 } from "../lib/base64";
import type { RunnerEndpoint } from "./runner-endpoint";

/** A failure while running a job: the code the job fails with, and its class, which decides on retries. */
export class WorkError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly errorClass: ErrorClass,
    /** How long a rate-limiting service asked us to wait. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = "WorkError";
  }
}

/** The runner says whether its failure may pass; if not, the file is at fault (its codes are input codes). */
const runnerFailureClass = (retryable: boolean): ErrorClass => (retryable ? "transient" : "input");

/**
 * The runner took no connection (down, restarting, being deployed): the work never started, so like
 * a busy runner's 503 it is back-pressure. It costs no attempt and waits with the longer backoff, so
 * a runner restart does not use up a job's tries within seconds. A connection lost mid-job stays
 * `transient`: the file may be what brought the runner down.
 */
const unreachable = (err: unknown) =>
  new WorkError("runner_unavailable", `runner not reachable: ${String(err)}`, "rate_limited");

export type RunnerProgress = Extract<RunnerEvent, { type: "probe" | "progress" }>;

export type RunnerInput = {
  body: ReadableStream;
  mime: string;
  requestId: string;
  language?: string;
  /** More query parameters, e.g. the page range or time span of one part. */
  query?: Record<string, string>;
  signal?: AbortSignal;
};

/**
 * POSTs a file to a runner route and yields its NDJSON events as they arrive (checked against the
 * contract). An `error` event, a refusal or an unreachable runner is thrown as a WorkError.
 */
export async function* runnerEvents(
  endpoint: RunnerEndpoint,
  path: string,
  input: RunnerInput,
): AsyncGenerator<Exclude<RunnerEvent, { type: "error" }>> {
  const url = new URL(endpoint.url(path));
  if (input.language) url.searchParams.set("language", input.language);
  for (const [name, value] of Object.entries(input.query ?? {})) url.searchParams.set(name, value);
  let res: Response;
  try {
    res = await endpoint.fetch(url.toString(), {
      method: "POST",
      body: input.body,
      headers: { "content-type": input.mime, "x-request-id": input.requestId },
      signal: input.signal,
    });
  } catch (err) {
    if (input.signal?.aborted) throw err;
    throw unreachable(err);
  }
  if (!res.ok || !res.body) {
    const detail = `runner answered ${res.status}: ${(await res.text().catch(() => "")).slice(0, 500)}`;
    if (res.status === 429 || res.status === 503) {
      const retryAfter = Number(res.headers.get("retry-after"));
      throw new WorkError(
        "runner_unavailable",
        detail,
        "rate_limited",
        Number.isFinite(retryAfter) ? retryAfter : undefined,
      );
    }
    if (res.status >= 500) throw new WorkError("runner_unavailable", detail, "transient");
    // The runner refused what we sent (type, language): a mismatch on our side that a retry repeats.
    throw new WorkError(res.status === 422 ? "validation_failed" : "internal_error", detail, "permanent");
  }
  let buffered = "";
  const chunks = res.body.pipeThrough(new TextDecoderStream());
  // The stream breaking off (the runner died mid-job) is the runner's failure, worth another try.
  const received = async function* () {
    try {
      yield* chunks;
    } catch (err) {
      if (input.signal?.aborted) throw err;
      throw new WorkError("runner_unavailable", `runner connection lost mid-job: ${String(err)}`, "transient");
    }
  };
  for await (const chunk of received()) {
    // Only the new text can hold a line end: scanning from there keeps a multi-megabyte line linear.
    let newline = chunk.indexOf("\n");
    if (newline >= 0) newline += buffered.length;
    buffered += chunk;
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf("\n");
      if (!line) continue;
      const event = RunnerEvent.parse(JSON.parse(line));
      if (event.type === "error") throw new WorkError(event.code, event.message, runnerFailureClass(event.retryable));
      yield event;
    }
  }
}

const ROUTES: Record<JobKind, string> = { ocr: "/v1/ocr", av: "/v1/transcribe" };

/**
 * Runs OCR or transcription on the runner: facts and progress go to `onProgress` as they come; the
 * result (and the searchable PDF of OCR jobs) is returned.
 */
export async function runOnRunner(
  endpoint: RunnerEndpoint,
  input: RunnerInput & { kind: JobKind },
  onProgress: (event: RunnerProgress) => Promise<void>,
): Promise<{ result: ExtractionResult; pdf: Uint8Array | null }> {
  for await (const event of runnerEvents(endpoint, ROUTES[input.kind], input)) {
    if (event.type === "result") {
      const pdf = event.pdf_base64 ? bytesFromBase64(event.pdf_base64) : null;
      return { result: event.result, pdf };
    }
    if (event.type === "probe" || event.type === "progress") await onProgress(event);
  }
  throw new WorkError("engine_failed", "the runner's stream ended without a result", "transient");
}

/** Asks the runner how the file splits into parts of `pagesPerPart` pages or about `secondsPerPart` seconds. */
export async function planOnRunner(
  endpoint: RunnerEndpoint,
  input: RunnerInput,
  sizes: { pagesPerPart: number; secondsPerPart: number },
): Promise<Extract<RunnerEvent, { type: "plan" }>> {
  // The input's own query (the job's OCR options, `pages` among them) and the part sizes.
  const query = {
    ...input.query,
    pages_per_part: String(sizes.pagesPerPart),
    seconds_per_part: String(sizes.secondsPerPart),
  };
  for await (const event of runnerEvents(endpoint, "/v1/plan", { ...input, query })) {
    if (event.type === "plan") return event;
  }
  throw new WorkError("engine_failed", "the runner's stream ended without a plan", "transient");
}

/**
 * Joins searchable PDFs in order (the parts of a fanned-out OCR job) on the runner; `withSource`
 * puts pages of the original document where parts failed (PdfMergeLayout).
 */
export async function mergePdfsOnRunner(
  endpoint: RunnerEndpoint,
  pdfs: readonly Uint8Array[],
  requestId: string,
  withSource?: { layout: PdfMergeLayout; source: Uint8Array },
): Promise<ArrayBuffer> {
  const form = new FormData();
  for (const pdf of pdfs) form.append("file", new Blob([pdf], { type: "application/pdf" }));
  if (withSource) {
    form.append("source", new Blob([withSource.source], { type: "application/pdf" }));
    form.append("layout", JSON.stringify(withSource.layout));
  }
  let res: Response;
  try {
    res = await endpoint.fetch(endpoint.url("/v1/pdf/merge"), {
      method: "POST",
      body: form,
      headers: { "x-request-id": requestId },
    });
  } catch (err) {
    throw unreachable(err);
  }
  if (!res.ok) {
    const detail = `runner answered ${res.status} to a PDF merge: ${(await res.text().catch(() => "")).slice(0, 500)}`;
    throw new WorkError(res.status === 503 ? "runner_unavailable" : "engine_failed", detail, "transient");
  }
  return res.arrayBuffer();
}
