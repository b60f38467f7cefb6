import { z } from "@hono/zod-openapi";
import { Problem } from "../../../contracts";
import { IDEMPOTENCY_KEY_PATTERN } from "../../services/idempotency";
import { JOB_ID_PATTERN } from "../../services/job-service";

export const JobIdParam = z.object({
  id: z
    .string()
    .regex(JOB_ID_PATTERN, "a job id such as job_01JD…")
    .openapi({ param: { name: "id", in: "path" } }),
});

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
