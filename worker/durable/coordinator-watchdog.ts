import { isTerminal, type Job, type JobError, type JobStatus } from "../../contracts";
import { publishJobEvent } from "../services/webhooks";
import type { CoordinatorHost, CoordinatorLimits } from "./coordinator-parts";
import type { CoordinatorStorage, FanOut, PartState } from "./coordinator-storage";

/** Re-sends of a waiting job's work back off up to 2^this × JOB_QUEUED_RESEND_SECONDS apart. */
const MAX_RESEND_DOUBLINGS = 4;
/** When a watchdog run fails (D1 unreachable), it runs again this soon. */
export const WATCHDOG_RETRY_MS = 60_000;

/** Arms the watchdog for the job as it now is: when a queued or processing job has been quiet too long. */
export async function scheduleWatchdog(store: CoordinatorStorage, limits: CoordinatorLimits, job: Job): Promise<void> {
  if (isTerminal(job.status)) {
    // No more watching; the alarm only sends the outbox's webhook event, now.
    if (await store.get("outbox")) await store.setAlarm(Date.now());
    else await store.deleteAlarm();
    return;
  }
  await store.setAlarm(Date.parse(job.updated_at) + (job.status === "processing" ? limits.stallMs : limits.queuedMs));
}

export type WatchdogHost = CoordinatorHost & {
  applyTransition(job: Job, to: JobStatus, patch: { error?: JobError; engineSeconds?: number }): Promise<Job>;
  saveParts(job: Job, fanOut: FanOut, stage: string): Promise<Job>;
};

/**
 * The watchdog, run when a job has been quiet for its limit. A queued job nobody picked up has its
 * work sent again (not counted: a long backlog is not a fault) until it has waited
 * JOB_MAX_QUEUED_SECONDS in all; a processing job whose holder went silent is requeued, which
 * counts as a recovery; past JOB_MAX_RECOVERIES, or past the queued limit, the job fails.
 */
export async function runWatchdog(host: WatchdogHost): Promise<void> {
  const job = await host.load();
  const outbox = await host.store.get("outbox");
  if (job && outbox) {
    // The terminal status's webhook event: queued here, after the status is stored, and again
    // (a retry armed first) until that works.
    await host.store.setAlarm(Date.now() + WATCHDOG_RETRY_MS);
    await publishJobEvent(host.env, job, outbox.event_id);
    await host.store.delete("outbox");
    if (isTerminal(job.status)) await host.store.deleteAlarm();
  }
  if (!job || isTerminal(job.status)) return;
  // If this run fails (D1 down), the watchdog must still come back: arm a retry first; every
  // successful path below sets the real next time.
  await host.store.setAlarm(Date.now() + WATCHDOG_RETRY_MS);
  const { stallMs, queuedMs, maxQueuedMs, maxRecoveries } = host.limits();
  if (job.status === "queued") {
    const since = (await host.store.get("queued_since")) ?? Date.parse(job.created_at);
    const deadline = since + maxQueuedMs;
    if (Date.now() >= deadline) {
      const waited = Math.round((Date.now() - since) / 1000);
      await host.applyTransition(job, "failed", {
        error: { code: "job_stalled", message: `waited ${waited} s in the queue without being processed` },
      });
      return;
    }
    // Re-sends back off (×2 each, up to ×16), so a long backlog is not swelled by duplicates.
    const resends = await host.store.count("queued_resends");
    const due = Date.parse(job.updated_at) + queuedMs * 2 ** Math.min(resends, MAX_RESEND_DOUBLINGS);
    if (Date.now() < due) {
      await host.store.setAlarm(Math.min(due, deadline));
      return;
    }
    const touched: Job = { ...job, updated_at: new Date().toISOString() };
    const next = Date.now() + queuedMs * 2 ** Math.min(resends + 1, MAX_RESEND_DOUBLINGS);
    await host.store.put({ job: touched, queued_resends: resends + 1 });
    await host.store.setAlarm(Math.min(next, deadline));
    await host.enqueue(touched);
    return;
  }
  const quietMs = Date.now() - Date.parse(job.updated_at);
  if (quietMs < stallMs) {
    await host.store.setAlarm(Date.parse(job.updated_at) + stallMs);
    return;
  }
  const quiet = `no progress for ${Math.round(quietMs / 1000)} s while ${job.status}`;
  const recoveries = await host.store.count("recoveries");
  if (recoveries >= maxRecoveries) {
    await host.applyTransition(job, "failed", {
      error: { code: "job_stalled", message: `${quiet}; gave up after ${recoveries} recoveries` },
    });
    return;
  }
  const fanOut = await host.store.get("fanout");
  if (fanOut?.attempt === job.attempts) {
    // A fanned-out job keeps its finished parts: only the unfinished ones (or the merge) go out again.
    const pending = fanOut.parts.flatMap((part, index) => (part.state === "pending" ? [index] : []));
    for (const index of pending) fanOut.parts[index] = { ...(fanOut.parts[index] as PartState), holder: null };
    const touched = await host.saveParts(job, fanOut, "parts");
    await host.store.put({ recoveries: recoveries + 1 });
    await host.enqueue(
      touched,
      pending.length > 0
        ? pending.map((index) => ({
            step: "part" as const,
            attempt: job.attempts,
            index,
            range: (fanOut.parts[index] as PartState).range,
          }))
        : [{ step: "merge", attempt: job.attempts }],
    );
    return;
  }
  const requeued = await host.applyTransition(job, "queued", {
    error: { code: "job_stalled", message: `${quiet}; requeued` },
  });
  await host.store.put({ recoveries: recoveries + 1 }); // counted once the requeue happened
  await host.enqueue(requeued);
}
