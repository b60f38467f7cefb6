import { and, desc, eq, like, lt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { JobKind, JobStatus } from "../../contracts";
import { jobCounts, jobs } from "../db/schema";

export type JobListQuery = { limit: number; cursor?: string; status?: JobStatus; kind?: JobKind; q?: string };

/**
 * One page of a user's jobs, newest first (keyset pagination: ids are ULIDs, so id order is creation
 * order). Each filter has an index that keeps the order, (user_id, id), (user_id, status, id) and
 * (user_id, kind, id), so a page deep in the list costs what the first does; the file-name search
 * filters the newest-first walk (query plans are checked in job-list.test.ts).
 */
export function jobListQuery(db: D1Database, userId: string, { limit, cursor, status, kind, q }: JobListQuery) {
  return drizzle(db)
    .select({ snapshot: jobs.snapshot })
    .from(jobs)
    .where(
      and(
        eq(jobs.user_id, userId),
        cursor ? lt(jobs.id, cursor) : undefined,
        status ? eq(jobs.status, status) : undefined,
        kind ? eq(jobs.kind, kind) : undefined,
        q ? like(jobs.file_name, sql`${`%${q.replace(/[\\%_]/g, "\\$&")}%`} ESCAPE '\\'`) : undefined,
      ),
    )
    .orderBy(desc(jobs.id))
    .limit(limit + 1);
}

/** A user's job counts per status, from `job_counts` (kept by triggers on `jobs`): a few rows read by key. */
export function jobCountsQuery(db: D1Database, userId: string) {
  return drizzle(db)
    .select({ status: jobCounts.status, n: jobCounts.n })
    .from(jobCounts)
    .where(eq(jobCounts.user_id, userId));
}
