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
