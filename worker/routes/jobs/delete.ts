import { createRoute } from "@hono/zod-openapi";
import { newApp } from "../../app";
import { requireScope } from "../../middleware/auth";
import { deleteJob } from "../../services/job-deletion";
import { ownedJob } from "../../services/ownership";
import { authErrors, problem } from "../shared";
import { badJobId, JobIdParam } from "./schemas";

const route = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:write")] as const,
  method: "delete",
  path: "/v1/jobs/{id}",
  operationId: "deleteJob",
  summary: "Delete a job that ended, with its file and results; a running job must be canceled first",
  description:
    "Everything kept of the job goes: its uploaded file, its results, its history and webhook events. What it used of the daily quotas stays counted until a day after it was submitted. Deleting again answers 404.",
  request: { params: JobIdParam },
  responses: {
    204: { description: "deleted" },
    ...authErrors("jobs:write"),
    404: problem("no such job for this caller"),
    409: problem("the job is queued or processing (`invalid_transition`): cancel it first"),
    422: badJobId,
  },
});

export const deleteJobRoute = newApp().openapi(route, async (c) => {
  const job = await ownedJob(c.env, c.get("user").id, c.req.valid("param").id);
  await deleteJob(c.env, job);
  return c.body(null, 204);
});
