import { ulid } from "ulid";
import { createLogger, describeRange, type Job, QUEUES, WorkMessage } from "../contracts";
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
  if (parsed.success && !job) {
    // The job was deleted (its owner's, or the retention period's): nothing of it is kept, this neither.
    createLogger("consumer").info("dead letter of a deleted job dropped", {
      request_id: parsed.data.request_id,
      job_id: jobId,
    });
    message.ack();
    return;
  }
  const work = parsed.success ? parsed.data : null;
  // The queue it died on, and how often it was tried there (this queue counts its own deliveries).
  const source = work ? QUEUES[work.kind] : queue;
  const step = work?.fan_out;
  const tries =
    step?.step === "part"
      ? ((await coordinator?.partsOf(step.attempt))?.[step.index]?.claims ?? message.attempts)
      : !step && job
        ? job.attempts // every delivery of a job's message takes an attempt
        : message.attempts;
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
      source,
      message.id,
      tries,
      job?.error?.code ?? null,
      job?.error?.message ?? null,
      stageOf(work, job),
      work?.enqueued_at ?? null,
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
  // all died); a job that a live consumer holds or that has ended stays as it is. A dead part fails
  // that part only (the rest of the job carries on); a dead merge fails its attempt.
  if (coordinator && parsed.success) {
    const last = job?.error;
    const error = {
      code: "retries_exhausted" as const,
      message: last ? `gave up after retries; last error: ${last.code}: ${last.message}` : "gave up after retries",
    };
    const step = parsed.data.fan_out;
    if (step?.step === "part")
      await coordinator.settlePart(step.attempt, step.index, message.id, { error, dead: true });
    else if (step?.step === "merge") await coordinator.transition("failed", { error }, step.attempt);
    else await coordinator.abandon(message.id, error);
  }
  message.ack();
}

/** Where the dead message's work stood: its fan-out step, else the job's stage. */
function stageOf(work: WorkMessage | null, job: Job | null): string {
  if (work?.fan_out?.step === "part") return `part ${work.fan_out.index} (${describeRange(work.fan_out.range)})`;
  if (work?.fan_out?.step === "merge") return "merge";
  return job?.progress?.stage ?? job?.status ?? "unknown";
}
