import { ulid } from "ulid";
import { createLogger, type Job, type JobKind, type JobOptions } from "../../contracts";
import type { Config } from "../config";
import { succeededJobsWithContent } from "../db/jobs-table";
import { coordinatorFor } from "./coordinator";
import { sanitizeFileName } from "./source-upload";
import { enqueueWork } from "./work-queue";

/** Job ids are ULIDs: sorting by id sorts by creation time. */
export const newJobId = () => `job_${ulid()}`;

/**
 * Creates the job of a file already stored at `sourceKey(id)` (contracts/storage.ts: a direct
 * upload, or a multipart upload just completed) in its coordinator, which writes the D1 row, and queues its work. If the
 * queue cannot be reached, the job is kept queued all the same: its watchdog sends the work again
 * (JOB_QUEUED_RESEND_SECONDS), so the caller gets its job and nothing is lost.
 */
/** What a new job is made of: its stored file, its options, the request that made it. */
export type NewJob = {
  id: string;
  userId: string;
  name: string;
  size: number;
  kind: JobKind;
  mime: string;
  sha256: string;
  options: JobOptions;
  requestId: string;
};

/** A job as it starts: queued, nothing tried, its file name made safe. */
export function queuedJob(input: NewJob): Job {
  const now = new Date().toISOString();
  return {
    id: input.id,
    user_id: input.userId,
    kind: input.kind,
    status: "queued",
    file: {
      name: sanitizeFileName(input.name),
      size: input.size,
      mime: input.mime,
      sha256: input.sha256,
      pages: null,
      duration_s: null,
    },
    options: input.options,
    progress: null,
    error: null,
    attempts: 0,
    engine_seconds: 0,
    replays: 0,
    parts: null,
    request_id: input.requestId,
    created_at: now,
    updated_at: now,
    started_at: null,
    finished_at: null,
  };
}

export async function registerJob(env: Env, config: Config, input: NewJob): Promise<Job> {
  const { id } = input;
  const job = queuedJob(input);
  const created = await coordinatorFor(env, id).create(job);
  try {
    await enqueueWork(env, config, created);
  } catch (err) {
    createLogger("api").warn("work not queued: the watchdog sends it again", {
      request_id: created.request_id,
      job_id: id,
      error: String(err),
    });
  }
  return created;
}

/** The caller's newest succeeded job for byte-identical content with the same options, if any. */
export async function findIdenticalJob(
  env: Env,
  userId: string,
  sha256: string,
  options: JobOptions,
): Promise<Job | null> {
  const wanted = JSON.stringify(options);
  for (const job of await succeededJobsWithContent(env.DB, userId, sha256)) {
    if (JSON.stringify(job.options) === wanted) return job;
  }
  return null;
}
