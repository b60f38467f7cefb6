import { problemResponse } from "../contracts/errors";
import type { Logger } from "../contracts/log";
import type { RunnerEvent } from "../contracts/runner";
import type { JobAdmission } from "./job-admission";
import { JobScope } from "./job-scope";
import { ndjsonResponse } from "./ndjson";
import { engineOutputOf, toErrorEvent } from "./pipelines/failures";
import type { Job } from "./pipelines/job";
import { mediaTypeOf } from "./pipelines/media-types";
import type { ProcessPool } from "./pool";
import { saveBody } from "./upload";

/** The last line of a successful stream. */
type FinalEvent = Extract<RunnerEvent, { type: "result" | "audio_end" | "plan" }>;

export interface JobStreamOptions {
  pool: ProcessPool;
  admission: JobAdmission;
  engineTimeoutMs: number;
  engineMemoryBytes: number;
  engineNice: number;
  language: string;
  requestId: string;
  log: Logger;
}

/** Seconds a refused client is asked to wait: about one engine run. */
const BUSY_RETRY_AFTER_S = 5;

/**
 * Runs one job for a request: saves the upload into a fresh temp directory, then answers 200 with an NDJSON
 * stream carrying the pipeline's events and finally its result or error. The directory and every process the
 * job started are gone when the stream ends, fails, or the client disconnects.
 */
export async function streamJob(
  request: Request,
  { pool, admission, engineTimeoutMs, engineMemoryBytes, engineNice, language, requestId, log }: JobStreamOptions,
  work: (job: Job) => Promise<FinalEvent>,
): Promise<Response> {
  const leave = admission.tryEnter();
  if (!leave) {
    log.warn("job refused: runner busy", { jobs: admission.jobs, limit: admission.limit });
    const detail = `The runner is at its limit of ${admission.limit} jobs; retry later`;
    return problemResponse("runner_unavailable", requestId, detail, { "retry-after": String(BUSY_RETRY_AFTER_S) });
  }
  let scope: JobScope;
  try {
    scope = await JobScope.open({
      pool,
      timeoutMs: engineTimeoutMs,
      memoryBytes: engineMemoryBytes,
      nice: engineNice,
      requestSignal: request.signal,
    });
  } catch (error) {
    leave(); // e.g. no space for the job's directory: the slot must not leak
    throw error;
  }
  const started = Date.now();
  let outcome = "client left";
  const close = async () => {
    try {
      await scope.close();
    } finally {
      leave();
      log.info("job ended", { outcome, duration_ms: Date.now() - started });
    }
  };
  const inputPath = scope.path("input");
  let size: number;
  try {
    size = await saveBody(request.body, inputPath, scope.signal);
  } catch (error) {
    const clientLeft = scope.signal.aborted;
    await close();
    // A client that hangs up mid-upload is not a runner error. Nobody receives this answer; 499 is nginx's
    // "client closed request", for access logs.
    if (clientLeft) return new Response(null, { status: 499 });
    throw error;
  }
  if (size === 0) {
    await close();
    return problemResponse("file_empty", requestId, "The request body is empty");
  }

  const produce = async (emitEvent: (event: RunnerEvent) => void) => {
    // The result or error is the stream's last line: progress that engines still running report after
    // it (a sibling of a failed page, before the teardown kills it) is dropped.
    let ended = false;
    const emit = (event: RunnerEvent) => {
      if (!ended) emitEvent(event);
    };
    const end = (event: RunnerEvent) => {
      ended = true;
      emitEvent(event);
    };
    const job: Job = {
      inputPath,
      mediaType: mediaTypeOf(request.headers.get("content-type") ?? undefined),
      language,
      run: scope.run,
      path: (name) => scope.path(name),
      emit,
      parallelism: pool.size,
    };
    log.info("job started", { bytes: size, language });
    try {
      end(await work(job));
      outcome = "result";
    } catch (error) {
      // After a disconnect the failures are just the killed processes, and nobody is listening.
      if (scope.signal.aborted) return;
      // Tool messages name files by their temp path; the client knows them by nothing of the sort.
      const event = toErrorEvent(error);
      event.message = event.message.replaceAll(`${scope.dir}/`, "");
      outcome = event.code;
      const engineOutput = engineOutputOf(error)?.replaceAll(`${scope.dir}/`, "");
      (event.retryable ? log.error : log.info)("job failed", {
        error_code: event.code,
        error: event.message,
        ...(engineOutput ? { engine_output: engineOutput } : {}),
      });
      end(event);
    } finally {
      await close();
    }
  };
  return ndjsonResponse(produce, () => scope.abort());
}
