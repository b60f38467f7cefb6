import { ERRORS, type ErrorCode, problemBody } from "../contracts/errors";

/** An RFC 9457 problem+json response for a request refused before any work started. */
export function problemResponse(
  code: ErrorCode,
  detail: string,
  requestId: string,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(problemBody(code, requestId, detail)), {
    status: ERRORS[code].status,
    headers: { "content-type": "application/problem+json", ...headers },
  });
}
