import { ulid } from "ulid";
import {
  type Job,
  type JobKind,
  type JobOptions,
  Job as JobSchema,
  type WorkMessage,
  type WorkStep,
} from "../../contracts";
import { claimMismatch, detectFileKind, SUPPORTED_EXTENSIONS } from "../../contracts/file-kind";
import { loadConfig } from "../config";
import { ApiError } from "../errors";
import { coordinatorFor } from "./coordinator";

export const JOB_ID_PATTERN = /^job_[0-9A-HJKMNP-TV-Z]{26}$/;

/** Job ids are ULIDs: sorting by id sorts by creation time. */
export const newJobId = () => `job_${ulid()}`;

export const sourceKey = (jobId: string) => `uploads/${jobId}/source`;
/**
 * Where an attempt's results live. Per attempt, so an attempt that lost its lease can never
 * overwrite or delete the results of the one that succeeded (the job's last attempt).
 */
export const resultKey = (jobId: string, attempt: number, ext: "json" | "pdf") =>
  `results/${jobId}/${attempt}/result.${ext}`;

/** Keeps the name readable and harmless: no paths, no control characters, bounded length. */
export function sanitizeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? "";
  const clean = base
    .replace(/\p{Cc}/gu, "")
    .trim()
    .slice(0, 200);
  return clean || "upload";
}

/** Refuses content that is not supported, or that its name or declared type contradicts. */
export function assertAcceptable(
  detected: { kind: JobKind; mime: string } | null,
  claimed: { name: string; type: string },
): { kind: JobKind; mime: string } {
  if (!detected) {
    throw new ApiError(
      "unsupported_media_type",
      `the content is not a supported document, image, audio or video file (supported: ${SUPPORTED_EXTENSIONS.join(", ")})`,
    );
  }
  const mismatch = claimMismatch(claimed, detected.mime);
  if (mismatch) throw new ApiError("media_type_mismatch", `${mismatch}; rename the file or fix its type`);
  return detected;
}

/**
 * Accepts an upload: decides its kind from the bytes, stores it in R2, and registers the job.
 */
export async function createJob(
  env: Env,
  input: { id: string; userId: string; file: File; sha256: string; options: JobOptions; requestId: string },
): Promise<Job> {
  const { file } = input;
  const detected = assertAcceptable(await detectFileKind(file), file);
  await env.FILES.put(sourceKey(input.id), file.stream(), {
    sha256: input.sha256, // R2 refuses the write if the stored bytes differ
    httpMetadata: { contentType: detected.mime },
    customMetadata: { user_id: input.userId, file_name: sanitizeFileName(file.name) },
  });
  return registerJob(env, { ...input, name: file.name, size: file.size, ...detected });
}

/**
 * Creates the job of a file already stored at `sourceKey(id)` (a direct upload, or a multipart
 * upload just completed) in its coordinator, which writes the D1 row, and queues its work.
 */
export async function registerJob(
  env: Env,
  input: {
    id: string;
    userId: string;
    name: string;
    size: number;
    kind: JobKind;
    mime: string;
    sha256: string;
    options: JobOptions;
    requestId: string;
  },
): Promise<Job> {
  const { id } = input;
  const now = new Date().toISOString();
  const job: Job = {
    id,
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
  const coordinator = coordinatorFor(env, id);
  const created = await coordinator.create(job);
  try {
    await enqueueWork(env, created);
  } catch (err) {
    await coordinator.transition("failed", {
      error: { code: "internal_error", message: "the job could not be queued" },
    });
    throw new ApiError("not_ready", `the work queue is not reachable: ${String(err)}`);
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
  const rows = await env.DB.prepare(
    "SELECT snapshot FROM jobs WHERE user_id = ? AND file_sha256 = ? AND status = 'succeeded' ORDER BY id DESC LIMIT 20",
  )
    .bind(userId, sha256)
    .all<{ snapshot: string }>();
  const wanted = JSON.stringify(options);
  for (const row of rows.results) {
    const job = JobSchema.parse(JSON.parse(row.snapshot));
    if (JSON.stringify(job.options) === wanted) return job;
  }
  return null;
}

/**
 * Sends the job's work to the queue of its kind (at creation, and again when the watchdog recovers
 * it), or, given `steps`, one message per step of a fanned-out job (its parts, or its merge).
 */
export async function enqueueWork(env: Env, job: Job, steps?: WorkStep[]): Promise<void> {
  const message: WorkMessage = {
    v: 1,
    job_id: job.id,
    user_id: job.user_id,
    kind: job.kind,
    object_key: sourceKey(job.id),
    mime: job.file.mime,
    options: job.options,
    request_id: job.request_id,
    enqueued_at: new Date().toISOString(),
  };
  const queue = job.kind === "ocr" ? env.OCR_QUEUE : env.AV_QUEUE;
  if (!steps) {
    // Drills only: the same work twice, as an at-least-once queue may deliver it.
    const copies = loadConfig(env).FAULT_INJECTION.duplicate_messages_of === job.file.name ? 2 : 1;
    await queue.sendBatch(Array.from({ length: copies }, () => ({ body: message, contentType: "json" as const })));
    return;
  }
  // A batch holds at most 100 messages.
  for (let start = 0; start < steps.length; start += 100) {
    const batch = steps.slice(start, start + 100);
    await queue.sendBatch(batch.map((step) => ({ body: { ...message, fan_out: step }, contentType: "json" as const })));
  }
}

/** Where a fanned-out attempt keeps the results of its part `index` until they are merged. */
export const partResultKey = (jobId: string, attempt: number, index: number, ext: "json" | "pdf") =>
  `results/${jobId}/${attempt}/parts/${index}.${ext}`;
