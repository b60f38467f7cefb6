import { ERRORS, type ErrorCode, problemBody } from "../contracts";

/** The one error type routes and services throw; `onError` turns it into problem+json. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail?: string,
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? ERRORS[code].title);
    this.name = "ApiError";
  }

  get status(): number {
    return ERRORS[this.code].status;
  }
}

export function problemResponse(code: ErrorCode, requestId: string, detail?: string, headers?: Record<string, string>) {
  return new Response(JSON.stringify(problemBody(code, requestId, detail)), {
    status: ERRORS[code].status,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId, ...headers },
  });
}
