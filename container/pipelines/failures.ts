import type { ErrorCode } from "../../contracts/errors";
import type { RunnerEvent } from "../../contracts/runner";
import { ExecError } from "../exec";

/** A job failure with the contract's error code; becomes the stream's `error` event. */
export class JobFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "JobFailure";
  }
}

export const mediaCorrupt = (message: string) => new JobFailure("media_corrupt", message, false);
export const mediaNoContent = (message: string) => new JobFailure("media_no_content", message, false);

/**
 * Awaits a step that decodes the uploaded file. A decoder that runs to completion and exits non-zero is
 * refusing the input, so that is `media_corrupt`; a crash, a timeout or a missing binary stays an engine
 * failure (see `toErrorEvent`).
 */
export async function decoding<T>(what: string, step: Promise<T>): Promise<T> {
  try {
    return await step;
  } catch (error) {
    if (error instanceof ExecError && error.failure === "exit") {
      throw mediaCorrupt(`${what}: ${error.stderrTail || error.message}`);
    }
    throw error;
  }
}

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
