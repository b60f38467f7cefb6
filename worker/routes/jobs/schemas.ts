import { z } from "@hono/zod-openapi";
import { JOB_ID_PATTERN } from "../../../contracts";
import { problem } from "../shared";

export const JobIdParam = z.object({
  id: z
    .string()
    .regex(JOB_ID_PATTERN, "a job id such as job_01JD…")
    .openapi({ param: { name: "id", in: "path" } }),
});

/** The 422 of a route whose `{id}` is not a job id. */
export const badJobId = problem("an id that is not a job id (`validation_failed`)");
