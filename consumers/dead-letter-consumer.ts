import { ulid } from "ulid";
import { WorkMessage } from "../contracts";
import { coordinatorFor } from "../worker/services/coordinator";
import { recordMetric } from "../worker/services/metrics";

/**
 * Work messages whose deliveries all crashed before the consumer could decide. Each is recorded in
 * D1 with what its job knew (last error, stage, attempts) for inspection and replay, and a job still
 * waiting for that work fails with `retries_exhausted`, so no job waits forever.
 */
export async function handleDeadLetter(message: Message<unknown>, env: Env, queue: string): Promise<void> {
  const parsed = WorkMessage.safeParse(message.body);
  const jobId = parsed.success ? parsed.data.job_id : "unknown";
  const coordinator = parsed.success ? coordinatorFor(env, jobId) : null;
  const job = coordinator ? await coordinator.get() : null;
  // One record per dead message, however often the dead-letter queue delivers it.
  const inserted = await env.DB.prepare(
    `INSERT INTO dead_letters (id, job_id, user_id, queue, message_id, attempts, error_code, error_message, stage,
       enqueued_at, dead_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (queue, message_id) DO NOTHING RETURNING id`,
  )
    .bind(
      `dl_${ulid()}`,
      jobId,
      job?.user_id ?? null,
      queue,
      message.id,
      message.attempts,
      job?.error?.code ?? null,
      job?.error?.message ?? null,
      job?.progress?.stage ?? job?.status ?? "unknown",
      parsed.success ? parsed.data.enqueued_at : null,
      new Date().toISOString(),
      JSON.stringify(message.body),
    )
    .first();
  if (parsed.success && inserted) {
    await recordMetric(env, {
      name: "job_dead_lettered",
      kind: parsed.data.kind,
      error_code: job?.error?.code ?? null,
    });
  }
  // The job fails if it was waiting for this work, or still held by this message (whose deliveries
  // all died); a job that a live consumer holds or that has ended stays as it is.
  if (coordinator) {
    const last = job?.error;
    await coordinator.abandon(message.id, {
      code: "retries_exhausted",
      message: last ? `gave up after retries; last error: ${last.code}: ${last.message}` : "gave up after retries",
    });
  }
  message.ack();
}
