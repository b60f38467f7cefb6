import { useEffect, useState } from "preact/hooks";
import type { Job } from "../../api/client";
import { formatProgress, STATUS_LABELS } from "../../format/status";
import { liveJobs } from "../../state/live";
import type { Watched } from "../../state/live-jobs";

/** Follows a job live while the component is on the page (shares the page's socket or poller). */
export function useLiveJob(id: string, initial: Job | null = null): Watched {
  const [watch] = useState(() => liveJobs.watch(id, initial));
  useEffect(() => watch.release, [watch]);
  return watch.state;
}

export function StatusBadge({ status }: { status: string }) {
  const known = STATUS_LABELS[status as keyof typeof STATUS_LABELS] ?? { label: status, tone: "neutral" };
  return (
    <span class={`badge ${known.tone}`} data-status={status}>
      {known.label}
    </span>
  );
}

/** Progress of a running job as a bar with its words ("recognizing · 3 of 12 pages"). */
export function JobProgressBar({ job }: { job: Job }) {
  const p = job.progress;
  if (job.status !== "processing" || !p) return null;
  const label = formatProgress(p);
  return (
    <div class="small">
      <progress max={p.total || 1} value={p.total ? p.done : undefined} aria-label={label} />
      <span class="muted" data-testid="job-progress">
        {label}
      </span>
    </div>
  );
}
