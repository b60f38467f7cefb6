import { WorkMessage } from "../contracts";
import { coordinatorFor } from "../worker/services/coordinator";

/**
 * Messages that used up their retries: the job fails with `retries_exhausted` (so no job waits
 * forever) and the message is kept in R2 under dead-letters/ for inspection and replay.
 */
export async function handleDeadLetter(message: Message<unknown>, env: Env): Promise<void> {
  const parsed = WorkMessage.safeParse(message.body);
  const at = new Date().toISOString();
  const jobId = parsed.success ? parsed.data.job_id : "unknown";
  await env.FILES.put(
    `dead-letters/${jobId}/${at}-${message.id}.json`,
    JSON.stringify({ message_id: message.id, attempts: message.attempts, received_at: at, body: message.body }),
    { httpMetadata: { contentType: "application/json" } },
  );
  if (parsed.success) {
    const coordinator = coordinatorFor(env, jobId);
    const job = await coordinator.get();
    // Only a job waiting for this work fails; one that is running (a duplicate died here) or ended stays.
    if (job?.status !== "queued") {
      message.ack();
      return;
    }
    const last = job.error;
    await coordinator.transition("failed", {
      error: {
        code: "retries_exhausted",
        message: last ? `gave up after retries; last error: ${last.code}: ${last.message}` : "gave up after retries",
      },
    });
  }
  message.ack();
}
