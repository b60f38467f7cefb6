import { ERRORS, type ErrorCode, type Problem, problemType } from "../contracts/errors";

/** An RFC 9457 problem+json response for a request refused before any work started. */
export function problemResponse(
  code: ErrorCode,
  detail: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  const { status, title } = ERRORS[code];
  const body: Problem = { type: problemType(code), title, status, code, detail, request_id: requestId };
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
