import { z } from "zod";

/**
 * The one catalog of error codes. Every API error and every job failure carries one of these codes;
 * each maps to exactly one HTTP status. Codes are stable: clients may switch on them.
 */
export const ERRORS = {
  // request errors
  unauthorized: { status: 401, title: "Missing or invalid credentials" },
  token_expired: { status: 401, title: "The session token has expired; sign in again" },
  forbidden: { status: 403, title: "These credentials may not do this" },
  not_found: { status: 404, title: "Not found" },
  validation_failed: { status: 422, title: "The request is not valid" },
  file_missing: { status: 400, title: "No file in the multipart field `file`" },
  file_empty: { status: 400, title: "The file is empty" },
  payload_too_large: { status: 413, title: "The file is larger than allowed" },
  unsupported_media_type: { status: 415, title: "This kind of file is not supported" },
  media_type_mismatch: { status: 415, title: "The content does not match the file's name or declared type" },
  websocket_required: { status: 426, title: "This route needs a WebSocket upgrade" },
  rate_limited: { status: 429, title: "Too many requests from this key; slow down" },
  quota_exceeded: { status: 429, title: "A usage quota is used up" },
  limit_exceeded: { status: 413, title: "The file exceeds a per-job limit (pages or duration)" },
  idempotency_key_reused: { status: 422, title: "This Idempotency-Key was used for a different request" },
  idempotency_in_progress: { status: 409, title: "A request with this Idempotency-Key is still being processed" },
  invalid_transition: { status: 409, title: "The job cannot move to that status from its current one" },
  result_not_ready: { status: 409, title: "The job has no result yet" },
  format_not_available: { status: 400, title: "This result format is not available for this kind of job" },
  internal_error: { status: 500, title: "Internal error" },
  not_ready: { status: 503, title: "A dependency is not reachable" },
  // job failures, reported in job.error (the status classifies the failure; a result request for a
  // failed job answers 409 result_not_ready naming the code)
  media_corrupt: { status: 422, title: "The file could not be decoded" },
  media_no_content: { status: 422, title: "The file holds no pages or no audio stream" },
  engine_failed: { status: 500, title: "The extraction engine failed" },
  runner_unavailable: { status: 503, title: "The media runner could not be reached" },
  retries_exhausted: { status: 503, title: "The job failed after all retries" },
  budget_exceeded: { status: 422, title: "The job used up its attempt or engine-time budget" },
  job_stalled: { status: 503, title: "The job stopped making progress and could not be recovered" },
} as const satisfies Record<string, { status: number; title: string }>;

export const ErrorCode = z.enum(Object.keys(ERRORS) as [keyof typeof ERRORS, ...(keyof typeof ERRORS)[]]);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** RFC 9457 problem details, as every error response body. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  code: ErrorCode,
  detail: z.string().optional(),
  request_id: z.string(),
});
export type Problem = z.infer<typeof Problem>;

export const problemType = (code: ErrorCode) => `urn:verbatim:error:${code}`;

/** The problem+json body for `code`, as the API and the runner answer refused requests. */
export function problemBody(code: ErrorCode, requestId: string, detail?: string): Problem {
  const { status, title } = ERRORS[code];
  return { type: problemType(code), title, status, code, ...(detail ? { detail } : {}), request_id: requestId };
}
