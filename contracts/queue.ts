import { z } from "zod";
import { JobKind, JobOptions } from "./job";
import { PartRange } from "./parts";

/** Queue names, as wrangler.toml declares them. */
export const QUEUES = {
  ocr: "verbatim-ocr",
  av: "verbatim-av",
  webhooks: "verbatim-webhooks",
  deadLetter: "verbatim-dlq",
} as const;

/**
 * What a message asks for: absent, the whole job (which may decide to fan out); `part`, one part of
 * a fanned-out job; `merge`, putting a fanned-out job's part results together. Both carry the
 * attempt that fanned out, so messages of an attempt that was taken over change nothing.
 */
export const WorkStep = z.discriminatedUnion("step", [
  z.object({
    step: z.literal("part"),
    attempt: z.number().int().positive(),
    index: z.number().int().nonnegative(),
    range: PartRange,
  }),
  z.object({ step: z.literal("merge"), attempt: z.number().int().positive() }),
]);
export type WorkStep = z.infer<typeof WorkStep>;

/** The message on the OCR and A/V work queues: everything a consumer needs to run one job (or a step of it). */
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
  fan_out: WorkStep.optional(),
});
export type WorkMessage = z.infer<typeof WorkMessage>;
