import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, like, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { JOB_STATUSES, Job, JobCounts, JobKind, JobList, JobStatus } from "../../../contracts";
import { newApp } from "../../app";
import { jobs } from "../../db/schema";
import { requireScope } from "../../middleware/auth";
import { toResource } from "../../services/job-resource";
import { JOB_ID_PATTERN } from "../../services/job-service";
import { problem } from "./schemas";

const route = createRoute({
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs",
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
    422: problem("bad query"),
  },
});

/** Keyset pagination on (user_id, id): ids are ULIDs, so id order is creation order. */
export const listJobsRoute = newApp().openapi(route, async (c) => {
  const { limit, cursor, status, kind, q } = c.req.valid("query");
  const rows = await drizzle(c.env.DB)
    .select({ snapshot: jobs.snapshot })
    .from(jobs)
    .where(
      and(
        eq(jobs.user_id, c.get("user").id),
        cursor ? lt(jobs.id, cursor) : undefined,
        status ? eq(jobs.status, status) : undefined,
        kind ? eq(jobs.kind, kind) : undefined,
        q ? like(jobs.file_name, sql`${`%${q.replace(/[\\%_]/g, "\\$&")}%`} ESCAPE '\\'`) : undefined,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit).map((row) => toResource(Job.parse(JSON.parse(row.snapshot))));
  const next_cursor = rows.length > limit ? (page.at(-1)?.id ?? null) : null;
  return c.json({ data: page, next_cursor }, 200);
});

const countsRoute = createRoute({
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs/counts",
  summary: "How many of the caller's jobs are in each status",
  responses: {
    200: { description: "status → number of jobs", content: { "application/json": { schema: JobCounts } } },
  },
});

/** Counted on the (user_id, status) index: one index range per status, no table rows read. */
export const jobCountsRoute = newApp().openapi(countsRoute, async (c) => {
  const rows = await drizzle(c.env.DB)
    .select({ status: jobs.status, n: sql<number>`count(*)` })
    .from(jobs)
    .where(eq(jobs.user_id, c.get("user").id))
    .groupBy(jobs.status)
    .all();
  const counts = Object.fromEntries(JOB_STATUSES.map((s) => [s, 0])) as Record<JobStatus, number>;
  for (const row of rows) counts[row.status] = Number(row.n);
  return c.json(counts, 200);
});
