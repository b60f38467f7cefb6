import { z } from "@hono/zod-openapi";
import { Problem, type Scope } from "../../contracts";
import { IDEMPOTENCY_KEY_PATTERN } from "../services/idempotency";

/** What every route declares alike: its problem+json answers, and the creating routes' header. */

/**
 * The problem+json body: one schema in the document (`#/components/schemas/Problem`), not a copy per
 * answer. Made here from contracts' Problem: a schema made before @hono/zod-openapi extended zod
 * (contracts may load first) has no `.openapi()`.
 */
const ProblemSchema = z.object(Problem.shape).openapi("Problem");

type ResponseHeaders = Record<
  string,
  { description: string; schema: { type: "integer" | "string"; minimum?: number } }
>;

/** A problem+json answer of a route, for its OpenAPI `responses`, with the headers it may carry. */
export const problem = (description: string, headers?: ResponseHeaders) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { "application/problem+json": { schema: ProblemSchema } },
});

/** A 401, with its Bearer challenge. */
export const unauthorized = (description: string) =>
  problem(description, {
    "WWW-Authenticate": {
      description:
        'The Bearer challenge (RFC 6750): `Bearer realm="verbatim"`, with `error="invalid_token"` when a credential was sent',
      schema: { type: "string" },
    },
  });

/** A 429: the rate limit and the quotas that free up with time say when to come back. */
export const tooManyRequests = (description: string) =>
  problem(description, {
    "Retry-After": {
      description: "Seconds to wait before trying again; sent when waiting helps (the rate limit, time-bound quotas)",
      schema: { type: "integer", minimum: 1 },
    },
  });

/** What any route may answer beyond what it declares: a fault on our side. */
export const unexpectedErrors = {
  default: problem(
    "a fault on our side (`internal_error`, 500): the answer's `request_id` finds it in the logs; try again later",
  ),
};

/**
 * The answers of the middleware in front of every route behind the API key (worker/index.ts):
 * `apiKeyAuth` (401), the route's `requireScope(scope)` or `requireAdmin()` (403, pass "admin") and
 * `rateLimit` (429). Spread first into a route's `responses`; a route that refuses with one of these
 * statuses itself declares that status after the spread, naming both causes.
 */
export const authErrors = (scope: Scope) => ({
  401: unauthorized(
    "no credentials, or an API key or session token that is not valid (`unauthorized`), or an expired session token (`token_expired`)",
  ),
  403: problem(
    scope === "admin"
      ? "the caller is not an admin, or its key lacks the admin scope (`forbidden`)"
      : `the calling key lacks the ${scope} scope (\`forbidden\`)`,
  ),
  429: tooManyRequests("too many requests from this user (`rate_limited`); see Retry-After"),
  ...unexpectedErrors,
});

/** What a route with a JSON body answers when it cannot read one (app.ts `badBody`). */
export const jsonBodyErrors = {
  400: problem("the body is not valid JSON (`invalid_json`)"),
  415: problem("the body is not sent as `Content-Type: application/json` (`unsupported_content_type`)"),
};

/** The optional `Idempotency-Key` header of the routes that create something. */
export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, "1 to 255 printable ASCII characters")
    .optional()
    .openapi({ param: { name: "idempotency-key", in: "header" } }),
});
