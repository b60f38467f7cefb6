import { ERRORS, type ErrorCode } from "../contracts";

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
