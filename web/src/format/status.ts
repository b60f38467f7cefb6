import { ERRORS, type ErrorCode } from "../../../contracts/errors";
import type { JobKind, JobStatus } from "../../../contracts/job";
import { formatClock } from "./duration";

/** What each kind of job is called. */
export const KIND_LABELS: Record<JobKind, string> = { ocr: "Text (OCR)", av: "Transcript" };

/** How each status reads and what tone it is shown in. */
export const STATUS_LABELS: Record<JobStatus, { label: string; tone: "neutral" | "busy" | "good" | "bad" }> = {
  queued: { label: "Queued", tone: "neutral" },
  processing: { label: "Processing", tone: "busy" },
  succeeded: { label: "Succeeded", tone: "good" },
  failed: { label: "Failed", tone: "bad" },
  canceled: { label: "Canceled", tone: "neutral" },
};

/** Progress as people read it: "recognizing · 3 of 12 pages", "transcribe · 1:30 of 4:05" (seconds of audio). */
export function formatProgress(progress: { done: number; total: number; unit: string; stage: string } | null): string {
  if (!progress) return "";
  const count =
    progress.total <= 0
      ? ""
      : progress.unit === "seconds"
        ? `${formatClock(progress.done)} of ${formatClock(progress.total)}`
        : `${progress.done} of ${progress.total} ${progress.unit}`;
  return [progress.stage, count].filter(Boolean).join(" · ");
}

/** What an error code means and what to do about it, from the one catalog (contracts/errors.ts). */
export function explainError(code: string): { title: string; action: string } {
  const known = (ERRORS as Record<string, { title: string; action: string }>)[code as ErrorCode];
  return known ?? { title: "Unexpected error", action: "Try again; if it persists, report the request id." };
}
