import { estimateJobSeconds, type Profile } from "../../../contracts/estimates";
import { claimMismatch, detectFileKind, SNIFF_BYTES, unsupportedContentMessage } from "../../../contracts/file-kind";
import type { Throughput, UploadLimits, Usage } from "../../../contracts/limits";
import { formatBytes } from "../format/size";

/**
 * What the UI decides about a file before sending it, with the API's own rules (contracts): its
 * type from its first bytes, checked against its name and declared type; its size against the
 * upload limits; its pages or duration against the per-job limits and what is left of the day's
 * quota; and an estimate of the processing time from the platform's measured throughput.
 */
export type Verdict =
  | {
      ok: false;
      code: "unsupported_media_type" | "media_type_mismatch" | "file_empty" | "payload_too_large";
      message: string;
    }
  | { ok: true; kind: "ocr" | "av"; mime: string; inParts: boolean };

export async function checkType(file: File, uploads: UploadLimits): Promise<Verdict> {
  if (file.size === 0) return { ok: false, code: "file_empty", message: "The file is empty." };
  if (file.size > uploads.max_multipart_bytes) {
    return {
      ok: false,
      code: "payload_too_large",
      message: `The file is ${formatBytes(file.size)}; the largest allowed is ${formatBytes(uploads.max_multipart_bytes)}.`,
    };
  }
  const detected = await detectFileKind(file.slice(0, SNIFF_BYTES));
  if (!detected) {
    return {
      ok: false,
      code: "unsupported_media_type",
      message: unsupportedContentMessage(file.name),
    };
  }
  const mismatch = claimMismatch(file, detected.mime);
  if (mismatch) return { ok: false, code: "media_type_mismatch", message: `The content does not match: ${mismatch}.` };
  return { ok: true, kind: detected.kind, mime: detected.mime, inParts: file.size > uploads.max_direct_bytes };
}

/** A file's size in the units quotas count: pages (OCR) or audio minutes (A/V), and its profile (for estimates). */
export type Measure = ({ pages: number } | { minutes: number }) & { profile: Profile };

export type Assessment = {
  /** Seconds of processing expected, or null while nothing has been measured. */
  estimate_s: number | null;
  /** Reasons the job would be refused or fail (a per-job limit). */
  errors: string[];
  /** Reasons it may be refused (what is left of a quota). */
  warnings: string[];
  /** What it takes of the day's quota, and what is left before it. */
  quota: { uses: number; left: number; unit: "pages" | "minutes" } | null;
};

export function assess(measure: Measure | null, usage: Usage): Assessment {
  const errors: string[] = [];
  const warnings: string[] = [];
  const { limits, day } = usage;
  if (usage.concurrent_jobs >= limits.max_concurrent_jobs) {
    const running = usage.concurrent_jobs === 1 ? "1 job is" : `${usage.concurrent_jobs} jobs are`;
    warnings.push(`${running} running, the most at once; it will be refused until one ends.`);
  }
  if (day.jobs >= limits.daily_jobs) warnings.push(`Today's ${limits.daily_jobs} jobs are used up.`);
  if (!measure) return { estimate_s: null, errors, warnings, quota: null };
  const quota =
    "pages" in measure
      ? { uses: measure.pages, left: Math.max(0, limits.daily_pages - day.pages), unit: "pages" as const }
      : {
          uses: Math.round(measure.minutes * 10) / 10,
          left: Math.max(0, Math.floor(limits.daily_audio_minutes - day.audio_minutes)),
          unit: "minutes" as const,
        };
  const perJob = quota.unit === "pages" ? limits.max_pages_per_job : limits.max_minutes_per_job;
  checkAgainst(quota.uses, quota.unit, perJob, quota.left, errors, warnings);
  return { estimate_s: estimateSeconds(measure, usage.throughput), errors, warnings, quota };
}

function checkAgainst(
  amount: number,
  unit: string,
  perJob: number,
  leftToday: number,
  errors: string[],
  warnings: string[],
) {
  if (amount > perJob) errors.push(`${amount} ${unit} is over the limit of ${perJob} ${unit} per job.`);
  else if (amount > leftToday) {
    warnings.push(
      `${amount} ${unit} is more than is left of today's quota (${Math.max(0, Math.floor(leftToday))} ${unit}).`,
    );
  }
}

/**
 * Assesses files sent together: each as if the ones before it had been submitted (their jobs
 * running, their pages and minutes counted today), so together they are warned about what one at a
 * time would pass.
 */
export function assessAll(measures: readonly (Measure | null)[], usage: Usage): Assessment[] {
  let { concurrent_jobs } = usage;
  let { jobs, pages, audio_minutes } = usage.day;
  return measures.map((measure) => {
    const assessment = assess(measure, {
      ...usage,
      concurrent_jobs,
      day: { ...usage.day, jobs, pages, audio_minutes },
    });
    concurrent_jobs++;
    jobs++;
    if (measure && "pages" in measure) pages += measure.pages;
    else if (measure) audio_minutes += measure.minutes;
    return assessment;
  });
}

/** Seconds from sending until the job is done, from what jobs like it took (contracts/estimates). */
export function estimateSeconds(measure: Measure, throughput: Throughput): number | null {
  const units = "pages" in measure ? measure.pages : measure.minutes;
  return estimateJobSeconds(throughput.estimates, measure.profile, units);
}
