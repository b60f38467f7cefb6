import { ACTIVE_STATUSES, JOB_KINDS, Job, type JobKind, type JobStatus, TERMINAL_STATUSES } from "../../contracts";

/**
 * The D1 `jobs` table: the queryable mirror of each job's coordinator state (lists, counts, quotas,
 * operations). The coordinator writes it; everything reads it through here (and the drizzle queries
 * of services/job-list.ts): no other file names the table in SQL.
 */

/** A status list for `IN (…)`: the statuses are the contract's own constants, never input. */
const statusList = (statuses: readonly JobStatus[]) => statuses.map((s) => `'${s}'`).join(", ");
const ACTIVE = statusList(ACTIVE_STATUSES);
const ENDED = statusList(TERMINAL_STATUSES);

/** The job as the row's snapshot holds it (the coordinator's state when it last changed). */
export const decodeSnapshot = (snapshot: string): Job => Job.parse(JSON.parse(snapshot));

/** The row of a new job (again harmless: a retry after the coordinator died between this and its own write). */
export async function insertJobRow(db: D1Database, job: Job): Promise<void> {
  await db
    .prepare(
      `INSERT INTO jobs (id, user_id, kind, status, file_name, file_size, file_mime, file_sha256, pages, duration_s,
        error_code, created_at, updated_at, snapshot) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    )
    .bind(
      job.id,
      job.user_id,
      job.kind,
      job.status,
      job.file.name,
      job.file.size,
      job.file.mime,
      job.file.sha256,
      job.file.pages,
      job.file.duration_s,
      null,
      job.created_at,
      job.updated_at,
      JSON.stringify(job),
    )
    .run();
}

/** A status change, mirrored. */
export async function updateJobRow(db: D1Database, job: Job): Promise<void> {
  await db
    .prepare(
      "UPDATE jobs SET status = ?, pages = ?, duration_s = ?, error_code = ?, updated_at = ?, snapshot = ? WHERE id = ?",
    )
    .bind(
      job.status,
      job.file.pages,
      job.file.duration_s,
      job.error?.code ?? null,
      job.updated_at,
      JSON.stringify(job),
      job.id,
    )
    .run();
}

/** Progress within a status: the row's time and snapshot, unless its status changed meanwhile. */
export async function refreshJobRow(db: D1Database, job: Job): Promise<void> {
  await db
    .prepare("UPDATE jobs SET updated_at = ?, snapshot = ? WHERE id = ? AND status = ?")
    .bind(job.updated_at, JSON.stringify(job), job.id, job.status)
    .run();
}

/** For a deletion's batch. */
export const deleteJobRowStatement = (db: D1Database, id: string) =>
  db.prepare("DELETE FROM jobs WHERE id = ?").bind(id);

export async function jobRowExists(db: D1Database, id: string): Promise<boolean> {
  return (await db.prepare("SELECT 1 FROM jobs WHERE id = ?").bind(id).first()) !== null;
}

/** For a batch: `n`, the user's jobs not ended yet. */
export const activeCountStatement = (db: D1Database, userId: string) =>
  db.prepare(`SELECT count(*) AS n FROM jobs WHERE user_id = ? AND status IN (${ACTIVE})`).bind(userId);

/**
 * For a batch: `jobs`, `pages`, `seconds` and `oldest` of the user's jobs created since `since`,
 * deleted ones included (their usage stays in `deleted_job_usage` for a day), but for job `except`.
 */
export const usageSinceStatement = (db: D1Database, userId: string, since: string, except: string) =>
  db
    .prepare(
      `SELECT count(*) AS jobs, coalesce(sum(pages), 0) AS pages, coalesce(sum(duration_s), 0) AS seconds,
         min(created_at) AS oldest FROM (
           SELECT pages, duration_s, created_at FROM jobs WHERE user_id = ? AND created_at >= ? AND id != ?
           UNION ALL
           SELECT pages, duration_s, created_at FROM deleted_job_usage WHERE user_id = ? AND created_at >= ?)`,
    )
    .bind(userId, since, except, userId, since);

/** How many jobs not ended have not changed since `before` (an alert's input). */
/** Jobs of every user waiting to start and processing now, per kind (what a new job queues behind). */
export async function activeJobsByKind(
  db: D1Database,
): Promise<Record<JobKind, { queued: number; processing: number }>> {
  const { results } = await db
    .prepare(`SELECT kind, status, count(*) AS n FROM jobs WHERE status IN (${ACTIVE}) GROUP BY kind, status`)
    .all<{ kind: JobKind; status: JobStatus; n: number }>();
  const count = (kind: JobKind, status: JobStatus) =>
    results.find((r) => r.kind === kind && r.status === status)?.n ?? 0;
  return Object.fromEntries(
    JOB_KINDS.map((kind) => [kind, { queued: count(kind, "queued"), processing: count(kind, "processing") }]),
  ) as Record<JobKind, { queued: number; processing: number }>;
}

export async function countStuckJobs(db: D1Database, before: string): Promise<number> {
  const row = await db
    .prepare(`SELECT count(*) AS n FROM jobs WHERE status IN (${ACTIVE}) AND updated_at < ?`)
    .bind(before)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The ids of jobs not ended that have not changed since `before`, the longest silent first. */
export async function stuckJobIds(db: D1Database, before: string, limit: number): Promise<string[]> {
  const rows = await db
    .prepare(`SELECT id FROM jobs WHERE status IN (${ACTIVE}) AND updated_at < ? ORDER BY updated_at LIMIT ?`)
    .bind(before, limit)
    .all<{ id: string }>();
  return rows.results.map((row) => row.id);
}

/** Jobs that ended before `before`, at most `limit` (retention): ids and snapshots, each decoded by its caller. */
export async function jobsEndedBefore(
  db: D1Database,
  before: string,
  limit: number,
): Promise<Array<{ id: string; snapshot: string }>> {
  const rows = await db
    .prepare(`SELECT id, snapshot FROM jobs WHERE status IN (${ENDED}) AND updated_at < ? LIMIT ?`)
    .bind(before, limit)
    .all<{ id: string; snapshot: string }>();
  return rows.results;
}

/** A user's jobs created since `since` (an admin's view of its usage). */
export async function jobsCreatedSince(db: D1Database, userId: string, since: string): Promise<Job[]> {
  const rows = await db
    .prepare("SELECT snapshot FROM jobs WHERE user_id = ? AND created_at >= ?")
    .bind(userId, since)
    .all<{ snapshot: string }>();
  return rows.results.map((row) => decodeSnapshot(row.snapshot));
}

/** A user's newest succeeded jobs for content with this SHA-256 (at most `limit`). */
export async function succeededJobsWithContent(
  db: D1Database,
  userId: string,
  sha256: string,
  limit = 20,
): Promise<Job[]> {
  const rows = await db
    .prepare(
      "SELECT snapshot FROM jobs WHERE user_id = ? AND file_sha256 = ? AND status = 'succeeded' ORDER BY id DESC LIMIT ?",
    )
    .bind(userId, sha256, limit)
    .all<{ snapshot: string }>();
  return rows.results.map((row) => decodeSnapshot(row.snapshot));
}
