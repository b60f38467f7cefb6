import { and, asc, eq, lt, notExists } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { ulid } from "ulid";
import { JOB_KINDS, type Job, JobOptions, optionsMisfit, type Upload } from "../../contracts";
import { detectFileKind, extensionsFor, SNIFF_BYTES } from "../../contracts/file-kind";
import { sourceKey } from "../../contracts/storage";
import type { Config } from "../config";
import { jobRowExists } from "../db/jobs-table";
import { jobs, uploadParts, uploads } from "../db/schema";
import { ApiError } from "../errors";
import { sha256HexOfStream } from "../lib/stream-digest";
import { coordinatorFor } from "./coordinator";
import { newJobId, registerJob } from "./job-service";
import { settleJobOptions } from "./languages";
import { assertCanOpenUpload, assertCanSubmit } from "./quotas";
import { assertAcceptable, sanitizeFileName } from "./source-upload";

/** An upload not completed within this is discarded (R2 would abort it after a week anyway). */
const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

type UploadRow = typeof uploads.$inferSelect;

const partCount = (row: Pick<UploadRow, "size" | "part_size">) => Math.ceil(row.size / row.part_size);
/** Bytes part `n` must have: `part_size`, except the last, which has the rest. */
const partLength = (row: Pick<UploadRow, "size" | "part_size">, n: number) =>
  n < partCount(row) ? row.part_size : row.size - row.part_size * (partCount(row) - 1);

async function view(db: D1Database, row: UploadRow): Promise<Upload> {
  const [received, job] = await Promise.all([
    drizzle(db)
      .select({ n: uploadParts.part_number })
      .from(uploadParts)
      .where(eq(uploadParts.upload_id, row.id))
      .orderBy(asc(uploadParts.part_number)),
    // Assembled is not yet a job: a completion can die, or wait on a quota, in between.
    row.completed_at && row.job_id ? jobRowExists(db, row.job_id) : false,
  ]);
  return {
    id: row.id,
    file_name: row.file_name,
    size: row.size,
    part_size: row.part_size,
    part_count: partCount(row),
    received: received.map((r) => r.n),
    created_at: row.created_at,
    expires_at: row.expires_at,
    job_id: job ? row.job_id : null,
  };
}

async function owned(db: D1Database, userId: string, id: string): Promise<UploadRow> {
  const row = await drizzle(db)
    .select()
    .from(uploads)
    .where(and(eq(uploads.id, id), eq(uploads.user_id, userId)))
    .get();
  if (!row) throw new ApiError("not_found", `no upload ${id}`);
  return row;
}

export async function createUpload(
  env: Env,
  config: Config,
  input: { id: string; userId: string; fileName: string; size: number; options: JobOptions; requestId: string },
): Promise<Upload> {
  if (input.size > config.MAX_MULTIPART_UPLOAD_BYTES) {
    throw new ApiError(
      "payload_too_large",
      `multipart uploads are limited to ${config.MAX_MULTIPART_UPLOAD_BYTES} bytes`,
    );
  }
  await assertCanOpenUpload(env.DB, input.userId, input.size, config.USER_LIMITS);
  // The content is not here yet: the name's extension says what it will be, or it may be either.
  const extension = input.fileName.split(".").pop()?.toLowerCase() ?? "";
  const claimed = JOB_KINDS.filter((kind) => extensionsFor(kind).includes(extension));
  // Options that cannot apply to what the name says it is are refused now, before any part is sent.
  const misfit = claimed.length === 1 && claimed[0] ? optionsMisfit(claimed[0], input.options) : null;
  if (misfit) throw new ApiError("validation_failed", misfit);
  // Checked now; a recording's engine is settled on completion, once the content is known.
  await settleJobOptions(env, config, input.userId, claimed.length > 0 ? claimed : JOB_KINDS, input.options);
  const jobId = newJobId();
  const multipart = await env.FILES.createMultipartUpload(sourceKey(jobId), {
    customMetadata: { user_id: input.userId, file_name: sanitizeFileName(input.fileName) },
  });
  const now = Date.now();
  const row: UploadRow = {
    id: input.id,
    user_id: input.userId,
    job_id: jobId,
    r2_upload_id: multipart.uploadId,
    file_name: sanitizeFileName(input.fileName),
    size: input.size,
    part_size: config.UPLOAD_PART_BYTES,
    options: JSON.stringify(input.options),
    request_id: input.requestId,
    created_at: new Date(now).toISOString(),
    expires_at: new Date(now + UPLOAD_TTL_MS).toISOString(),
    completed_at: null,
  };
  await drizzle(env.DB).insert(uploads).values(row);
  return view(env.DB, row);
}

export const newUploadId = () => `upl_${ulid()}`;

export async function getUpload(db: D1Database, userId: string, id: string): Promise<Upload> {
  return view(db, await owned(db, userId, id));
}

/**
 * Stores part `n` (1-based) from the request body, which must be exactly the part's length; sending
 * a part again replaces it. Streams straight into R2.
 */
export async function putPart(
  env: Env,
  userId: string,
  id: string,
  n: number,
  body: ReadableStream | null,
  length: number,
): Promise<Upload> {
  const row = await owned(env.DB, userId, id);
  if (row.completed_at) throw new ApiError("invalid_transition", "the upload is completed");
  if (n < 1 || n > partCount(row)) {
    throw new ApiError("validation_failed", `part numbers run from 1 to ${partCount(row)}`);
  }
  const expected = partLength(row, n);
  if (length !== expected || !body) {
    throw new ApiError(
      "validation_failed",
      `part ${n} must be exactly ${expected} bytes (Content-Length), not ${length}`,
    );
  }
  const part = await env.FILES.resumeMultipartUpload(sourceKey(row.job_id), row.r2_upload_id).uploadPart(n, body);
  await drizzle(env.DB)
    .insert(uploadParts)
    .values({ upload_id: id, part_number: n, etag: part.etag, size: expected })
    .onConflictDoUpdate({ target: [uploadParts.upload_id, uploadParts.part_number], set: { etag: part.etag } });
  return view(env.DB, row);
}

/**
 * Completes the upload: every part present, the object assembled in R2, its content sniffed and
 * checked against its name, the user's quotas checked, the file hashed, and the job created.
 * Completing again answers the same job, or carries on where a completion that died (or was refused
 * for a quota) stopped. Content that is refused is not kept: the upload is discarded with it.
 */
export async function completeUpload(
  env: Env,
  config: Config,
  userId: string,
  id: string,
): Promise<{ job: Job; created: boolean }> {
  const row = await owned(env.DB, userId, id);
  const coordinator = coordinatorFor(env, row.job_id);
  const existing = await coordinator.get();
  if (existing) return { job: existing, created: false };
  const parts = await drizzle(env.DB)
    .select()
    .from(uploadParts)
    .where(eq(uploadParts.upload_id, id))
    .orderBy(asc(uploadParts.part_number));
  const missing = Array.from({ length: partCount(row) }, (_, i) => i + 1).filter(
    (n) => !parts.some((p) => p.part_number === n),
  );
  if (missing.length > 0) throw new ApiError("validation_failed", `parts not received yet: ${missing.join(", ")}`);
  const key = sourceKey(row.job_id);
  if (!row.completed_at) {
    await env.FILES.resumeMultipartUpload(key, row.r2_upload_id).complete(
      parts.map((p) => ({ partNumber: p.part_number, etag: p.etag })),
    );
    await drizzle(env.DB).update(uploads).set({ completed_at: new Date().toISOString() }).where(eq(uploads.id, id));
  }
  const head = await env.FILES.get(key, { range: { offset: 0, length: SNIFF_BYTES } });
  if (!head) throw new ApiError("internal_error", "the assembled upload is missing from storage");
  let detected: { kind: Job["kind"]; mime: string };
  try {
    detected = assertAcceptable(await detectFileKind(new Uint8Array(await head.arrayBuffer())), {
      name: row.file_name,
      type: "",
    });
  } catch (err) {
    await discard(env, row);
    throw err;
  }
  const asked = JobOptions.parse(JSON.parse(row.options));
  let options: JobOptions;
  try {
    const misfit = optionsMisfit(detected.kind, asked);
    if (misfit) throw new ApiError("validation_failed", misfit);
    options = await settleJobOptions(env, config, userId, detected.kind, asked);
  } catch (err) {
    await discard(env, row);
    throw err;
  }
  await assertCanSubmit(env.DB, userId, config.USER_LIMITS);
  const whole = await env.FILES.get(key);
  if (!whole) throw new ApiError("internal_error", "the assembled upload is missing from storage");
  const sha256 = await sha256HexOfStream(whole.body);
  const job = await registerJob(env, config, {
    id: row.job_id,
    userId,
    name: row.file_name,
    size: row.size,
    ...detected,
    sha256,
    options,
    requestId: row.request_id,
  });
  return { job, created: true };
}

/** An upload that never became a job, gone: its parts or assembled file in R2, and its rows. */
async function discard(env: Env, row: UploadRow): Promise<void> {
  await env.FILES.resumeMultipartUpload(sourceKey(row.job_id), row.r2_upload_id)
    .abort()
    .catch(() => undefined); // already assembled (or aborted)
  await env.FILES.delete(sourceKey(row.job_id));
  await env.DB.batch([
    env.DB.prepare("DELETE FROM upload_parts WHERE upload_id = ?").bind(row.id),
    env.DB.prepare("DELETE FROM uploads WHERE id = ?").bind(row.id),
  ]);
}

/** Discards uploads that did not become a job in time (run by the scheduled upkeep). */
export async function purgeExpiredUploads(env: Env, now = new Date()): Promise<number> {
  const orm = drizzle(env.DB);
  const expired = await orm
    .select()
    .from(uploads)
    .where(
      and(
        lt(uploads.expires_at, now.toISOString()),
        notExists(orm.select({ id: jobs.id }).from(jobs).where(eq(jobs.id, uploads.job_id))),
      ),
    )
    .limit(100);
  for (const row of expired) await discard(env, row);
  return expired.length;
}
