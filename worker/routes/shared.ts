import { z } from "@hono/zod-openapi";
import { Problem } from "../../contracts";
import { IDEMPOTENCY_KEY_PATTERN } from "../services/idempotency";

/** What every route declares alike: its problem+json answers, and the creating routes' header. */

/** A problem+json answer of a route, for its OpenAPI `responses`. */
export const problem = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: Problem } },
});

/** The optional `Idempotency-Key` header of the routes that create something. */
export const IdempotencyKeyHeader = z.object({
  "idempotency-key": z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, "1 to 255 printable ASCII characters")
    .optional()
    .openapi({ param: { name: "idempotency-key", in: "header" } }),
});
