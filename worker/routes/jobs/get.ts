import { createRoute } from "@hono/zod-openapi";
import { JobResource } from "../../../contracts";
import { newApp } from "../../app";
import { requireScope } from "../../middleware/auth";
import { toResource } from "../../services/job-resource";
import { ownedJob } from "../../services/ownership";
import { authErrors, problem } from "../shared";
import { badJobId, JobIdParam } from "./schemas";

const route = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs/{id}",
  operationId: "getJob",
  summary: "The job's current state",
  request: { params: JobIdParam },
  responses: {
    200: { description: "the job", content: { "application/json": { schema: JobResource } } },
    ...authErrors("jobs:read"),
    404: problem("no such job for this caller"),
    422: badJobId,
  },
});

export const getJobRoute = newApp().openapi(route, async (c) => {
  const job = await ownedJob(c.env, c.get("user").id, c.req.valid("param").id);
  return c.json(toResource(job), 200);
});
