import type { ErrorCode } from "./errors";
import type { JobStatus } from "./job";

/**
 * Every legal status change. Anything not listed is refused with `invalid_transition`.
 * `processing → queued` is a retry after a transient failure.
 */
const TRANSITIONS: Record<JobStatus, readonly JobStatus[]> = {
  queued: ["processing", "failed", "canceled"],
  processing: ["queued", "succeeded", "failed", "canceled"],
  succeeded: [],
  failed: [],
  canceled: [],
};

export const canTransition = (from: JobStatus, to: JobStatus): boolean => TRANSITIONS[from].includes(to);

/**
 * Failures an operator may replay (`failed → queued`, outside the table above: workers can never do
 * it). They are the ones another try could fix; a corrupt file or a canceled job stays as it is.
 */
export const REPLAYABLE_FAILURES: readonly ErrorCode[] = [
  "retries_exhausted",
  "job_stalled",
  "budget_exceeded",
  "engine_failed",
  "runner_unavailable",
  "internal_error",
];

export const canReplay = (status: JobStatus, errorCode: ErrorCode | undefined): boolean =>
  status === "failed" && errorCode !== undefined && REPLAYABLE_FAILURES.includes(errorCode);
