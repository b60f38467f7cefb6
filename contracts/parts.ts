import { z } from "zod";
import { ErrorCode } from "./errors";

/**
 * Fan-out: a large job is split into parts (page ranges of a document, time spans of a recording)
 * that go through the queue on their own, run in parallel on any runner instance, retry alone, and
 * are merged in order. These are the shapes every side uses for a part.
 */
export const PartRange = z.discriminatedUnion("unit", [
  /** Pages `first`..`last` of a document, 1-based, inclusive. */
  z.object({ unit: z.literal("pages"), first: z.number().int().positive(), last: z.number().int().positive() }),
  /** Seconds `start`..`end` of a recording's audio. */
  z.object({ unit: z.literal("seconds"), start: z.number().nonnegative(), end: z.number().nonnegative() }),
]);
export type PartRange = z.infer<typeof PartRange>;

/** A part that failed for good: its range and why. The rest of the job's results are still kept. */
export const PartFailure = z.object({
  part: z.number().int().nonnegative(),
  range: PartRange,
  code: ErrorCode,
  message: z.string(),
});
export type PartFailure = z.infer<typeof PartFailure>;

/** How a fanned-out job's parts stand (on the job, while it runs and after). */
export const JobParts = z.object({
  total: z.number().int().positive(),
  done: z.number().int().nonnegative(),
  failed: z.array(PartFailure),
});
export type JobParts = z.infer<typeof JobParts>;

/** "pages 3–4" or "0:30–1:00": how a range reads in messages and text results. */
export function describeRange(range: PartRange): string {
  if (range.unit === "pages")
    return range.first === range.last ? `page ${range.first}` : `pages ${range.first}–${range.last}`;
  const clock = (s: number) => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, "0")}`;
  return `${clock(range.start)}–${clock(range.end)}`;
}

/** Units of work in a range, as progress counts them: pages for documents, whole seconds for recordings. */
export const rangeUnits = (range: PartRange): number =>
  range.unit === "pages" ? range.last - range.first + 1 : Math.max(1, Math.round(range.end - range.start));
