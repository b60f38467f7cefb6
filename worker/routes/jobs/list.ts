import { createRoute, z } from "@hono/zod-openapi";
import { JOB_ID_PATTERN, JOB_STATUSES, JobCounts, JobKind, JobList, JobStatus } from "../../../contracts";
import { newApp } from "../../app";
import { decodeSnapshot } from "../../db/jobs-table";
import { requireScope } from "../../middleware/auth";
import { jobCountsQuery, jobListQuery } from "../../services/job-list";
import { toResource } from "../../services/job-resource";
import { authErrors, problem } from "../shared";

const route = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs",
  operationId: "listJobs",
  summary: "The caller's jobs, newest first, with cursor pagination",
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(20),
      cursor: z.string().regex(JOB_ID_PATTERN, "a next_cursor value from a previous page").optional(),
      status: JobStatus.optional(),
      kind: JobKind.optional(),
      q: z.string().trim().min(1).max(200).optional().describe("only jobs whose file name contains this (any case)"),
    }),
  },
  responses: {
    200: { description: "one page of jobs", content: { "application/json": { schema: JobList } } },
    ...authErrors("jobs:read"),
    422: problem("a bad query parameter (`validation_failed`)"),
  },
});

export const listJobsRoute = newApp().openapi(route, async (c) => {
  const query = c.req.valid("query");
  const rows = await jobListQuery(c.env.DB, c.get("user").id, query).all();
  const page = rows.slice(0, query.limit).map((row) => toResource(decodeSnapshot(row.snapshot)));
  const next_cursor = rows.length > query.limit ? (page.at(-1)?.id ?? null) : null;
  return c.json({ data: page, next_cursor }, 200);
});

const countsRoute = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs/counts",
  operationId: "getJobCounts",
  summary: "How many of the caller's jobs are in each status",
  responses: {
    200: { description: "status → number of jobs", content: { "application/json": { schema: JobCounts } } },
    ...authErrors("jobs:read"),
  },
});

export const jobCountsRoute = newApp().openapi(countsRoute, async (c) => {
  const rows = await jobCountsQuery(c.env.DB, c.get("user").id).all();
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const row of rows) counts[row.status] = row.n;
  return c.json(counts, 200);
});
