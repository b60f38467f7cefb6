import { ALERTS, type Alert, type AlertName, type AlertReport, JOB_KINDS, QUEUES } from "../../contracts";
import type { Config } from "../config";
import { countStuckJobs } from "../db/jobs-table";
import { collectMetrics } from "./metrics";
import { checkReadiness } from "./readiness";

const alert = (name: AlertName, scope: string | null, value: number, threshold: number): Alert => ({
  name,
  scope,
  firing: value >= threshold,
  value,
  threshold,
  ...ALERTS[name],
});

/**
 * Evaluates every alert of the catalog (contracts/operations.ts) against its threshold
 * (ALERT_THRESHOLDS): readiness, failure share and queue wait per workload over the window, dead
 * letters not replayed, queue backlogs, and jobs with no status change or progress for a while.
 */
export async function evaluateAlerts(env: Env, config: Config): Promise<AlertReport> {
  const t = config.ALERT_THRESHOLDS;
  const stuckBefore = new Date(Date.now() - t.stuck_after_s * 1000).toISOString();
  const [readiness, metrics, pending, stuck, ocrQueue, avQueue] = await Promise.all([
    checkReadiness(env, config),
    collectMetrics(env.DB, t.window_s),
    env.DB.prepare("SELECT count(*) AS n FROM dead_letters WHERE replayed_at IS NULL").first<{ n: number }>(),
    countStuckJobs(env.DB, stuckBefore),
    env.OCR_QUEUE.metrics(),
    env.AV_QUEUE.metrics(),
  ]);
  const down = Object.values(readiness.checks).filter((check) => !check.ok).length;
  const alerts: Alert[] = [alert("dependency_down", null, down, 1)];
  for (const kind of JOB_KINDS) {
    const k = metrics.kinds[kind];
    if (!k) continue;
    const ended = k.succeeded + k.failed;
    // Too few endings say nothing about a rate: judged only from `min_endings` on.
    const ratio = ended >= t.min_endings ? Math.round((k.failed / ended) * 1000) / 1000 : 0;
    alerts.push(alert("failure_ratio", kind, ratio, t.failure_ratio));
    alerts.push(alert("queue_wait_p95", kind, (k.queue_wait_ms.p95 ?? 0) / 1000, t.queue_wait_p95_s));
  }
  alerts.push(alert("dead_letters_pending", null, pending?.n ?? 0, t.dead_letters_pending));
  alerts.push(alert("queue_backlog", QUEUES.ocr, ocrQueue.backlogCount, t.queue_backlog));
  alerts.push(alert("queue_backlog", QUEUES.av, avQueue.backlogCount, t.queue_backlog));
  alerts.push(alert("stuck_jobs", null, stuck, t.stuck_jobs));
  return {
    evaluated_at: new Date().toISOString(),
    firing: alerts.filter((a) => a.firing).length,
    alerts,
  };
}
