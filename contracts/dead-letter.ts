import { z } from "zod";
import { ErrorCode } from "./errors";

/** A work message that exhausted its deliveries, as the admin API shows it. */
export const DeadLetter = z.object({
  id: z.string(),
  job_id: z.string(),
  user_id: z.string().nullable(),
  /** The work queue the message died on. */
  queue: z.string(),
  message_id: z.string(),
  /** How often it was tried: the job's processing attempts (for a part message, the part's). */
  attempts: z.number().int(),
  error_code: ErrorCode.nullable(),
  error_message: z.string().nullable(),
  stage: z.string(),
  enqueued_at: z.string().nullable(),
  dead_at: z.string(),
  replayed_at: z.string().nullable(),
  replay_count: z.number().int(),
});
export type DeadLetter = z.infer<typeof DeadLetter>;

export const DeadLetterList = z.object({ data: z.array(DeadLetter), next_cursor: z.string().nullable() });
export type DeadLetterList = z.infer<typeof DeadLetterList>;

/** Replay one record, every record of a job, or every unreplayed record with an error code. */
export const ReplayRequest = z.union([
  z.object({ id: z.string() }).strict(),
  z.object({ job_id: z.string() }).strict(),
  z.object({ error_code: ErrorCode }).strict(),
]);

export type ReplayRequest = z.infer<typeof ReplayRequest>;

export const ReplayOutcome = z.object({
  replayed: z.array(z.string()).describe("job ids sent back to work"),
  skipped: z.array(z.object({ job_id: z.string(), reason: z.string() })),
});
export type ReplayOutcome = z.infer<typeof ReplayOutcome>;
