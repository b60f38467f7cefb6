import { createRoute } from "@hono/zod-openapi";
import { JobResource } from "../../../contracts";
import { newApp } from "../../app";
import { ApiError } from "../../errors";
import { requireScope } from "../../middleware/auth";
import { coordinatorFor } from "../../services/coordinator";
import { toResource } from "../../services/job-resource";
import { ownedJob } from "../../services/ownership";
import { authErrors, problem } from "../shared";
import { badJobId, JobIdParam } from "./schemas";

const route = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:write")] as const,
  method: "post",
  path: "/v1/jobs/{id}/cancel",
  operationId: "cancelJob",
  summary: "Cancel a queued or running job; work in flight stops and late results are discarded",
  description: "Canceling a canceled job again answers 200 with it unchanged.",
  request: { params: JobIdParam },
  responses: {
    200: { description: "the canceled job", content: { "application/json": { schema: JobResource } } },
    ...authErrors("jobs:write"),
    404: problem("no such job for this caller"),
    409: problem("the job already succeeded or failed (`invalid_transition`)"),
    422: badJobId,
  },
});

export const cancelJobRoute = newApp().openapi(route, async (c) => {
  const { id } = c.req.valid("param");
  const job = await ownedJob(c.env, c.get("user").id, id);
  if (job.status === "canceled") return c.json(toResource(job), 200);
  const outcome = await coordinatorFor(c.env, id).transition("canceled");
  if (outcome.ok) return c.json(toResource(outcome.job), 200);
  if (outcome.job?.status === "canceled") return c.json(toResource(outcome.job), 200);
  throw new ApiError("invalid_transition", `the job already ${outcome.job?.status ?? "ended"}`);
});
