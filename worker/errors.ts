import { ERRORS, type ErrorCode, type Problem, problemType } from "../contracts";

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

export function problemBody(code: ErrorCode, requestId: string, detail?: string): Problem {
  const { status, title } = ERRORS[code];
  return { type: problemType(code), title, status, code, ...(detail ? { detail } : {}), request_id: requestId };
}

export function problemResponse(code: ErrorCode, requestId: string, detail?: string, headers?: Record<string, string>) {
  return new Response(JSON.stringify(problemBody(code, requestId, detail)), {
    status: ERRORS[code].status,
    headers: { "content-type": "application/problem+json", "x-request-id": requestId, ...headers },
  });
}
