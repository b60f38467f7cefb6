import type { ErrorCode } from "../../contracts/errors";
import type { RunnerEvent } from "../../contracts/runner";
import { ExecError } from "../exec";

/** A job failure with the contract's error code; becomes the stream's `error` event. */
export class JobFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable: boolean,
    /** What the engine said (its stderr's tail): for the logs, never for the user. */
    readonly engineOutput?: string,
  ) {
    super(message);
    this.name = "JobFailure";
  }
}

export const mediaCorrupt = (message: string) => new JobFailure("media_corrupt", message, false);

/**
 * A file (or a page of it) that could not be decoded, in plain words: what could not be read, and
 * that the file is damaged (what to do is the error code's `action`, shown with it).
 */
export const damagedFile = (what: string, engineOutput?: string) =>
  new JobFailure("media_corrupt", `${what}: it is damaged or not a valid file of its type.`, false, engineOutput);
export const mediaNoContent = (message: string) => new JobFailure("media_no_content", message, false);

/**
 * Awaits a step that decodes the uploaded file. A decoder that runs to completion and exits non-zero is
 * refusing the input, so that is `media_corrupt`, told to the user in plain words (what failed) with
 * the decoder's own output kept for the logs; a crash, a timeout or a missing binary
 * stays an engine failure (see `toErrorEvent`).
 */
export async function decoding<T>(what: string, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    if (error instanceof ExecError && error.failure === "exit") {
      throw damagedFile(what, error.stderrTail || error.message);
    }
    throw error;
  }
}

/** What the engine said about a failure, for the logs (never sent to the client). */
export const engineOutputOf = (error: unknown): string | undefined =>
  error instanceof JobFailure ? error.engineOutput : error instanceof ExecError ? error.stderrTail : undefined;

export function toErrorEvent(error: unknown): Extract<RunnerEvent, { type: "error" }> {
  if (error instanceof JobFailure) {
    return { type: "error", code: error.code, message: error.message, retryable: error.retryable };
  }
  if (error instanceof ExecError) {
    // The engine crashed, hung or is missing: the input may be fine, another attempt may succeed.
    return { type: "error", code: "engine_failed", message: error.message, retryable: true };
  }
  // Not classified (a bug, or the disk filled up); one more attempt is cheap and the platform caps retries.
  const message = error instanceof Error ? error.message : String(error);
  return { type: "error", code: "internal_error", message, retryable: true };
}
