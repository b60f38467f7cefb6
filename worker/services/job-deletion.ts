import { createLogger, type Job } from "../../contracts";
import { decodeSnapshot, deleteJobRowStatement, jobsEndedBefore } from "../db/jobs-table";
import { ApiError } from "../errors";
import { coordinatorFor } from "./coordinator";
import { DAY_MS } from "./quotas";

/** Every object stored under one of these prefixes in R2. */
async function deletePrefixes(bucket: R2Bucket, prefixes: string[]): Promise<void> {
  for (const prefix of prefixes) {
    let cursor: string | undefined;
    do {
      const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
      if (page.objects.length > 0) await bucket.delete(page.objects.map((o) => o.key));
      cursor = page.truncated ? page.cursor : undefined;
    } while (cursor);
  }
}

/**
 * Deletes a job that ended, and everything kept of it: its file and results in R2, its row and what
 * refers to it in D1 (webhook events and their delivery log, dead letters, idempotency keys, a
 * multipart upload), and its coordinator's state. What it used of the daily quotas stays counted for
 * a day (deleted_job_usage). The coordinator is sealed first (nothing of the job is sent or restarted
 * from then on) and erased last, as it is what finds the job: a deletion that failed half-way is
 * finished by deleting again.
 */
export async function deleteJob(env: Env, job: Job): Promise<void> {
  const coordinator = coordinatorFor(env, job.id);
  const sealed = await coordinator.seal();
  // No state left in the coordinator (deleted meanwhile, or lost): what remains elsewhere still goes.
  if (!sealed.ok && sealed.code === "invalid_transition") {
    throw new ApiError("invalid_transition", `the job is ${sealed.from}; cancel it first`);
  }
  await deletePrefixes(env.FILES, [`uploads/${job.id}/`, `results/${job.id}/`]);
  const db = env.DB;
  // Webhook event ids are `evt_<job id>_<seq>`: a range on the primary key.
  const events = [`evt_${job.id}_`, `evt_${job.id}\``];
  await db.batch([
    db
      .prepare(
        `INSERT OR IGNORE INTO deleted_job_usage (job_id, user_id, created_at, pages, duration_s)
         VALUES (?, ?, ?, ?, ?)`,
      )
      .bind(job.id, job.user_id, job.created_at, job.file.pages, job.file.duration_s),
    db.prepare("DELETE FROM webhook_deliveries WHERE event_id >= ? AND event_id < ?").bind(...events),
    db.prepare("DELETE FROM webhook_events WHERE id >= ? AND id < ?").bind(...events),
    db.prepare("DELETE FROM dead_letters WHERE job_id = ?").bind(job.id),
    // A direct upload's key names the job; a multipart upload's names the upload.
    db
      .prepare("DELETE FROM idempotency_keys WHERE job_id = ? OR job_id IN (SELECT id FROM uploads WHERE job_id = ?)")
      .bind(job.id, job.id),
    db.prepare("DELETE FROM upload_parts WHERE upload_id IN (SELECT id FROM uploads WHERE job_id = ?)").bind(job.id),
    db.prepare("DELETE FROM uploads WHERE job_id = ?").bind(job.id),
    deleteJobRowStatement(db, job.id),
  ]);
  await coordinator.erase();
}

/**
 * Deletes jobs that ended more than `days` ago, at most `batch` per run (run by the scheduled
 * upkeep when JOB_RETENTION_DAYS is set); returns how many went.
 */
export async function purgeExpiredJobs(env: Env, days: number, now = new Date(), batch = 100): Promise<number> {
  const before = new Date(now.getTime() - days * DAY_MS).toISOString();
  let deleted = 0;
  for (const row of await jobsEndedBefore(env.DB, before, batch)) {
    try {
      // The coordinator's state is the job's own; D1's snapshot stands in if the object lost it.
      const job = (await coordinatorFor(env, row.id).get()) ?? decodeSnapshot(row.snapshot);
      await deleteJob(env, job);
      deleted += 1;
    } catch (err) {
      // One job that cannot go now (its coordinator still busy with it, say) does not stop the rest.
      createLogger("api").warn("expired job not deleted", { job_id: row.id, error: String(err) });
    }
  }
  return deleted;
}

/** Forgets what deleted jobs used once it no longer counts (run by the scheduled upkeep). */
export async function purgeDeletedUsage(db: D1Database, now = new Date()): Promise<number> {
  const since = new Date(now.getTime() - DAY_MS).toISOString();
  const result = await db.prepare("DELETE FROM deleted_job_usage WHERE created_at < ?").bind(since).run();
  return result.meta.changes ?? 0;
}
