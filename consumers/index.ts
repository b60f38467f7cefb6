import { createLogger, QUEUES } from "../contracts";
import { loadConfig } from "../worker/config";
import { handleDeadLetter } from "./dead-letter-consumer";
import { handleExtraction } from "./extraction-consumer";
import { retryDelaySeconds } from "./retry-policy";
import { handleWebhook } from "./webhook-consumer";

/**
 * Routes each batch by the queue it came from: OCR and A/V work, webhook deliveries, or the
 * dead-letter queue. The
 * messages of a batch (e.g. parts of one job) run at once; one that throws is retried on its own.
 */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = loadConfig(env);
  const log = createLogger("consumer", config.LOG_LEVEL);
  await Promise.all(
    batch.messages.map(async (message) => {
      try {
        if (batch.queue === QUEUES.deadLetter) await handleDeadLetter(message, env, batch.queue);
        else if (batch.queue === QUEUES.webhooks) await handleWebhook(message, env, config);
        else await handleExtraction(message, env, config);
      } catch (err) {
        // Died before deciding (a platform call failed: D1, a Durable Object): retried with the
        // transient backoff; past the queue's max_retries the message goes to the dead-letter queue.
        log.error("message handling failed; it will be delivered again", {
          message_id: message.id,
          queue: batch.queue,
          error: err instanceof Error ? err.message : String(err),
        });
        const { base_seconds, cap_seconds } = config.RETRY_POLICY.transient;
        message.retry({ delaySeconds: retryDelaySeconds(message.attempts, base_seconds, cap_seconds) });
      }
    }),
  );
}
