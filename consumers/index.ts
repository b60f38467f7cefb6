import { QUEUES } from "../contracts";
import { loadConfig } from "../worker/config";
import { handleDeadLetter } from "./dead-letter-consumer";
import { handleExtraction } from "./extraction-consumer";

/** Routes each batch by the queue it came from: OCR and A/V work, or the dead-letter queue. */
export async function handleQueue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const config = loadConfig(env);
  for (const message of batch.messages) {
    if (batch.queue === QUEUES.deadLetter) await handleDeadLetter(message, env, batch.queue);
    else await handleExtraction(message, env, config);
  }
}
