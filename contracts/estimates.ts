import { z } from "zod";
import type { JobKind } from "./job";

/**
 * How long a job will take, from what jobs like it took. Processing time is far from proportional
 * to size: on one machine a 20-page scanned PDF took 5.4 s where 1 page took 2.1 s (pages run in
 * parallel), an image page 0.6 s, and 10 minutes of speech 77 s where 15 s took 3 s. So the platform
 * keeps, per profile (PDF, image, audio, video), the median time of recent jobs in bands of size
 * (each twice the one before), and an estimate follows that curve between its points; plus the
 * typical wait in the queue and the work already queued ahead.
 */
export const PROFILES = ["pdf", "image", "audio", "video"] as const;
export type Profile = (typeof PROFILES)[number];

/** The profile of a file from its (detected) media type. */
export const profileOf = (mime: string): Profile =>
  mime === "application/pdf"
    ? "pdf"
    : mime.startsWith("image/")
      ? "image"
      : mime.startsWith("video/")
        ? "video"
        : "audio";

export const kindOfProfile = (profile: Profile): JobKind => (profile === "pdf" || profile === "image" ? "ocr" : "av");

/** One band of sizes: the median size (pages or audio minutes) and processing seconds of its jobs. */
export const CurvePoint = z.object({
  units: z.number().positive(),
  seconds: z.number().nonnegative(),
  jobs: z.number().int().positive(),
});
export type CurvePoint = z.infer<typeof CurvePoint>;

/** What stands before a new job of a kind: the typical wait, and the deployment's queue right now. */
export const QueueState = z.object({
  /** Median time from submission to the start of processing of recent jobs; null before any. */
  typical_wait_s: z.number().nonnegative().nullable(),
  /** Jobs (of every user) waiting to start, and processing. */
  queued: z.number().int().nonnegative(),
  processing: z.number().int().nonnegative(),
  /** Median processing time of recent jobs of the kind, what each job queued ahead adds. */
  job_s: z.number().nonnegative().nullable(),
});
export type QueueState = z.infer<typeof QueueState>;

export const Estimates = z.object({
  curves: z.object({
    pdf: z.array(CurvePoint),
    image: z.array(CurvePoint),
    audio: z.array(CurvePoint),
    video: z.array(CurvePoint),
  }),
  queues: z.object({ ocr: QueueState, av: QueueState }),
});
export type Estimates = z.infer<typeof Estimates>;

/** Jobs as measured: profile, size in units, processing and queue wait in seconds. */
export type MeasuredJob = { profile: Profile; units: number; processing_s: number; wait_s: number | null };

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** The curve of one profile's jobs: one point per band of size (1–2 pages, 2–4, …; the same for minutes). */
export function curveOf(jobs: readonly { units: number; processing_s: number }[]): CurvePoint[] {
  const bands = new Map<number, { units: number[]; seconds: number[] }>();
  for (const job of jobs) {
    if (!(job.units > 0)) continue;
    const band = Math.floor(Math.log2(job.units));
    const entry = bands.get(band) ?? { units: [], seconds: [] };
    entry.units.push(job.units);
    entry.seconds.push(job.processing_s);
    bands.set(band, entry);
  }
  return [...bands.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, band]) => ({ units: median(band.units), seconds: median(band.seconds), jobs: band.units.length }));
}

/** The typical wait and the queue's state of one kind, from measured jobs and the current counts. */
export function queueStateOf(jobs: readonly MeasuredJob[], counts: { queued: number; processing: number }): QueueState {
  const waits = jobs.flatMap((j) => (j.wait_s === null ? [] : [j.wait_s]));
  return {
    typical_wait_s: waits.length ? median(waits) : null,
    ...counts,
    job_s: jobs.length ? median(jobs.map((j) => j.processing_s)) : null,
  };
}

/**
 * Processing seconds for `units` from a curve: between two points, along the power law through them
 * (a straight line on log-log axes); past the ends, along the nearest segment's slope, kept between
 * flat and proportional (a larger job never takes less, nor more than in proportion). One point alone
 * is scaled in proportion above it and kept flat below it (small jobs are mostly fixed costs).
 */
export function processingSeconds(curve: readonly CurvePoint[], units: number): number | null {
  const first = curve[0];
  if (!first || !(units > 0)) return null;
  const along = (a: CurvePoint, b: CurvePoint) => {
    const slope = Math.log(b.seconds / a.seconds) / Math.log(b.units / a.units);
    return Number.isFinite(slope) ? slope : 1;
  };
  const last = curve.at(-1) as CurvePoint;
  const clamp = (slope: number) => Math.min(1, Math.max(0, slope));
  if (units <= first.units) {
    const next = curve[1];
    const slope = next ? clamp(along(first, next)) : 0;
    return first.seconds * (units / first.units) ** slope;
  }
  if (units >= last.units) {
    const before = curve.at(-2);
    const slope = before ? clamp(along(before, last)) : 1;
    return last.seconds * (units / last.units) ** slope;
  }
  for (let i = 1; i < curve.length; i++) {
    const a = curve[i - 1] as CurvePoint;
    const b = curve[i] as CurvePoint;
    if (units <= b.units) {
      if (a.seconds === 0 || b.seconds === 0)
        return a.seconds + ((b.seconds - a.seconds) * (units - a.units)) / (b.units - a.units);
      return a.seconds * (units / a.units) ** along(a, b);
    }
  }
  return null;
}

/**
 * Seconds from submission until a job of `profile` and `units` is done: the typical wait, the work
 * queued ahead of it shared among the jobs processing now, and its own processing. Null while no job
 * of its profile has been measured.
 */
export function estimateJobSeconds(estimates: Estimates, profile: Profile, units: number): number | null {
  const own = processingSeconds(estimates.curves[profile], units);
  if (own === null) return null;
  const queue = estimates.queues[kindOfProfile(profile)];
  const ahead = (queue.queued * (queue.job_s ?? 0)) / Math.max(1, queue.processing);
  return (queue.typical_wait_s ?? 0) + ahead + own;
}
