import { z } from "zod";

/**
 * The one catalog of error codes. Every API error and every job failure carries one of these codes;
 * each maps to exactly one HTTP status. Codes are stable: clients may switch on them. `title` says
 * what happened, `action` what the user can do about it (the web UI shows both).
 */
export const ERRORS = {
  // request errors
  unauthorized: {
    status: 401,
    title: "Missing or invalid credentials",
    action: "Sign in again, or send a valid API key as `Authorization: Bearer vb_\u2026`.",
  },
  token_expired: {
    status: 401,
    title: "The session token has expired; sign in again",
    action: "Sign in again to get a new session.",
  },
  forbidden: {
    status: 403,
    title: "These credentials may not do this",
    action: "Use a key with the scope this needs (or ask an admin).",
  },
  scope_not_held: {
    status: 403,
    title: "A key may only grant scopes it holds",
    action: "Ask only for scopes the calling key has, or create the key while signed in (a session holds every scope).",
  },
  not_found: {
    status: 404,
    title: "Not found",
    action: "Check the id; it may belong to another account or have been deleted.",
  },
  validation_failed: {
    status: 422,
    title: "The request is not valid",
    action: "Fix the fields named in the detail and send again.",
  },
  language_unavailable: {
    status: 422,
    title: "This deployment cannot work in the language asked for",
    action: "Choose one of the languages named in the detail (GET /v1/languages lists them).",
  },
  engine_unavailable: {
    status: 422,
    title: "No speech engine of this deployment can do what the options ask",
    action: "Drop the option named in the detail, or choose an engine GET /v1/languages lists with that ability.",
  },
  invalid_json: {
    status: 400,
    title: "The request body is not valid JSON",
    action: "Send a JSON body that parses (check quotes, commas and braces).",
  },
  unsupported_content_type: {
    status: 415,
    title: "The request body is not of the type this route takes",
    action: "Send the body with the Content-Type the route documents (application/json).",
  },
  file_missing: {
    status: 400,
    title: "No file in the multipart field `file`",
    action: "Attach the file in the multipart field `file`.",
  },
  file_empty: { status: 400, title: "The file is empty", action: "Choose a file that has content." },
  payload_too_large: {
    status: 413,
    title: "The file is larger than allowed",
    action: "Send a smaller file, or upload large files in parts (POST /v1/uploads).",
  },
  unsupported_media_type: {
    status: 415,
    title: "This kind of file is not supported",
    action: "Send a PDF, an image (PNG, JPEG, TIFF, WebP) or an audio/video file.",
  },
  media_type_mismatch: {
    status: 415,
    title: "The content does not match the file's name or declared type",
    action: "Rename the file with the extension of what it really is, or export it again.",
  },
  websocket_required: {
    status: 426,
    title: "This route needs a WebSocket upgrade",
    action: "Open this URL as a WebSocket.",
  },
  rate_limited: {
    status: 429,
    title: "Too many requests from this user; slow down",
    action: "Wait for the time in Retry-After, then send again.",
  },
  quota_exceeded: {
    status: 429,
    title: "A usage quota is used up",
    action: "Wait for the time in Retry-After (running jobs to end, or the daily window to move).",
  },
  limit_exceeded: {
    status: 413,
    title: "The file exceeds a per-job limit (pages or duration)",
    action: "Split the document or recording into smaller files.",
  },
  idempotency_key_reused: {
    status: 422,
    title: "This Idempotency-Key was used for a different request",
    action: "Use a new Idempotency-Key for a different request.",
  },
  idempotency_in_progress: {
    status: 409,
    title: "A request with this Idempotency-Key is still being processed",
    action: "Wait a moment and send the same request again.",
  },
  invalid_transition: {
    status: 409,
    title: "The job cannot move to that status from its current one",
    action: "Reload the job: its status has already moved on.",
  },
  result_not_ready: {
    status: 409,
    title: "The job has no result yet",
    action: "Wait for the job to succeed; a failed job has no result.",
  },
  format_not_available: {
    status: 400,
    title: "This result format is not available for this kind of job",
    action: "Choose one of the formats this kind of job offers.",
  },
  internal_error: { status: 500, title: "Internal error", action: "Try again; if it persists, report the request id." },
  not_ready: {
    status: 503,
    title: "A dependency is not reachable",
    action: "Try again shortly; the service is starting or a dependency is down.",
  },
  // job failures, reported in job.error (the status classifies the failure; a result request for a
  // failed job answers 409 result_not_ready naming the code)
  media_corrupt: {
    status: 422,
    title: "The file could not be decoded",
    action: "Open the file on your computer to check it, export or convert it again, and upload the new copy.",
  },
  media_no_content: {
    status: 422,
    title: "The file holds no pages or no audio stream",
    action: "Upload a file that has pages or an audio track.",
  },
  pages_out_of_range: {
    status: 422,
    title: "The pages asked for are not all in the document",
    action:
      "Choose pages within the document's page count (named in the detail), or leave `pages` out to read them all.",
  },
  engine_failed: {
    status: 500,
    title: "The extraction engine failed",
    action: "Submit the file again; if it fails again, report the job id.",
  },
  runner_unavailable: {
    status: 503,
    title: "The media runner could not be reached",
    action: "Submit the file again later; the processing service was down.",
  },
  retries_exhausted: {
    status: 503,
    title: "The job failed after all retries",
    action: "Submit the file again later; report the job id if it keeps failing.",
  },
  budget_exceeded: {
    status: 422,
    title: "The job used up its attempt or engine-time budget",
    action: "Split the file into smaller ones and submit them separately.",
  },
  job_stalled: {
    status: 503,
    title: "The job stopped making progress and could not be recovered",
    action: "Submit the file again; report the job id if it happens again.",
  },
} as const satisfies Record<string, { status: number; title: string; action: string }>;

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

/** An RFC 9457 problem+json response (the API's and the runner's), carrying the request id. */
export function problemResponse(
  code: ErrorCode,
  requestId: string,
  detail?: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(problemBody(code, requestId, detail)), {
    status: ERRORS[code].status,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId, ...headers },
  });
}
