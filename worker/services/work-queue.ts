import type { Job, WorkMessage, WorkStep } from "../../contracts";
import { sourceKey } from "../../contracts/storage";
import type { Config } from "../config";

/**
 * Sends the job's work to the queue of its kind (at creation, and again when the watchdog recovers
 * it), or, given `steps`, one message per step of a fanned-out job (its parts, or its merge).
 */
export async function enqueueWork(env: Env, config: Config, job: Job, steps?: WorkStep[]): Promise<void> {
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
    const copies = config.FAULT_INJECTION.duplicate_messages_of === job.file.name ? 2 : 1;
    await queue.sendBatch(Array.from({ length: copies }, () => ({ body: message, contentType: "json" as const })));
    return;
  }
  // A batch holds at most 100 messages.
  for (let start = 0; start < steps.length; start += 100) {
    const batch = steps.slice(start, start + 100);
    await queue.sendBatch(batch.map((step) => ({ body: { ...message, fan_out: step }, contentType: "json" as const })));
  }
}
