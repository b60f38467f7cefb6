import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import {
  DeadLetter,
  type DeadLetterList,
  type ErrorCode,
  type ReplayOutcome,
  type ReplayRequest,
} from "../../contracts";
import { deadLetters } from "../db/schema";
import { coordinatorFor } from "./coordinator";

/** Most jobs one replay call sends back to work; call again for the rest. */
const REPLAY_BATCH = 500;

export type DeadLetterQuery = {
  limit: number;
  cursor?: string;
  error_code?: ErrorCode;
  job_id?: string;
  /** Only records not replayed yet. */
  pending?: boolean;
};

/** One page of dead-lettered work, newest first (the message bodies stay in D1). */
export async function listDeadLetters(db: D1Database, query: DeadLetterQuery): Promise<DeadLetterList> {
  const { limit, cursor, error_code, job_id, pending } = query;
  const rows = await drizzle(db)
    .select()
    .from(deadLetters)
    .where(
      and(
        cursor ? lt(deadLetters.id, cursor) : undefined,
        error_code ? eq(deadLetters.error_code, error_code) : undefined,
        job_id ? eq(deadLetters.job_id, job_id) : undefined,
        pending ? isNull(deadLetters.replayed_at) : undefined,
      ),
    )
    .orderBy(desc(deadLetters.id))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit).map(({ body: _body, ...row }) => DeadLetter.parse(row));
  return { data: page, next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

/**
 * Sends the jobs of dead-lettered work back to work through their coordinators (`replay`: only
 * failures another try could fix), marking their records replayed; the others are listed as skipped.
 */
export async function replayDeadLetters(env: Env, request: ReplayRequest): Promise<ReplayOutcome> {
  const db = drizzle(env.DB);
  const filter =
    "id" in request
      ? eq(deadLetters.id, request.id)
      : "job_id" in request
        ? eq(deadLetters.job_id, request.job_id)
        : and(eq(deadLetters.error_code, request.error_code), isNull(deadLetters.replayed_at));
  const records = await db.select({ job_id: deadLetters.job_id }).from(deadLetters).where(filter).limit(REPLAY_BATCH);
  const outcome: ReplayOutcome = { replayed: [], skipped: [] };
  // A job id may also name a job that failed in the consumer without leaving a dead letter.
  const jobIds = new Set([...records.map((r) => r.job_id), ...("job_id" in request ? [request.job_id] : [])]);
  for (const jobId of jobIds) {
    const result = await coordinatorFor(env, jobId).replay();
    if (!result.ok) {
      const why = result.job
        ? `job is ${result.job.status}${result.job.error ? ` (${result.job.error.code})` : ""}`
        : "no such job";
      outcome.skipped.push({ job_id: jobId, reason: why });
      continue;
    }
    await env.DB.prepare(
      "UPDATE dead_letters SET replayed_at = ?, replay_count = replay_count + 1 WHERE job_id = ? AND replayed_at IS NULL",
    )
      .bind(new Date().toISOString(), jobId)
      .run();
    outcome.replayed.push(jobId);
  }
  return outcome;
}
