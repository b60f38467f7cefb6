import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Job, JobKind, JobList, JobStatus } from "../../../contracts";
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
    }),
  },
  responses: {
    200: { description: "one page of jobs", content: { "application/json": { schema: JobList } } },
    422: problem("bad query"),
  },
});

/** Keyset pagination on (user_id, id): ids are ULIDs, so id order is creation order. */
export const listJobsRoute = newApp().openapi(route, async (c) => {
  const { limit, cursor, status, kind } = c.req.valid("query");
  const rows = await drizzle(c.env.DB)
    .select({ snapshot: jobs.snapshot })
    .from(jobs)
    .where(
      and(
        eq(jobs.user_id, c.get("user").id),
        cursor ? lt(jobs.id, cursor) : undefined,
        status ? eq(jobs.status, status) : undefined,
        kind ? eq(jobs.kind, kind) : undefined,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit).map((row) => toResource(Job.parse(JSON.parse(row.snapshot))));
  const next_cursor = rows.length > limit ? (page.at(-1)?.id ?? null) : null;
  return c.json({ data: page, next_cursor }, 200);
});
