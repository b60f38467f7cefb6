import { z } from "zod";
import { JobKind, JobOptions } from "./job";

/** Queue names, as wrangler.toml declares them. */
export const QUEUES = { ocr: "verbatim-ocr", av: "verbatim-av", deadLetter: "verbatim-dlq" } as const;

/** The message on the OCR and A/V work queues: everything a consumer needs to run one job. */
export const WorkMessage = z.object({
  v: z.literal(1),
  job_id: z.string(),
  user_id: z.string(),
  kind: JobKind,
  object_key: z.string(),
  mime: z.string(),
  options: JobOptions,
  request_id: z.string(),
  enqueued_at: z.string(),
});
export type WorkMessage = z.infer<typeof WorkMessage>;
