import { z } from "@hono/zod-openapi";
import { JOB_ID_PATTERN } from "../../../contracts";

export const JobIdParam = z.object({
  id: z
    .string()
    .regex(JOB_ID_PATTERN, "a job id such as job_01JD…")
    .openapi({ param: { name: "id", in: "path" } }),
});
