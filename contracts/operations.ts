import { z } from "zod";

/** One dependency's readiness check: whether it answered, and how long it took. */
export const ReadinessCheck = z.object({ ok: z.boolean(), ms: z.number() });
/** `/readyz`: D1 (every migration applied), R2, both work queues and the media runner. */
export const Readiness = z.object({ ok: z.boolean(), checks: z.record(z.string(), ReadinessCheck) });
export type Readiness = z.infer<typeof Readiness>;

const Latency = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() });
export const KindMetrics = z.object({
  succeeded: z.number().int(),
  failed: z.number().int(),
  canceled: z.number().int(),
  failed_by_code: z.record(z.string(), z.number().int()),
  retries: z.number().int(),
  retries_by_code: z.record(z.string(), z.number().int()),
  dead_letters: z.number().int(),
  queue_wait_ms: Latency,
  processing_ms: Latency,
});
export type KindMetrics = z.infer<typeof KindMetrics>;
/** `GET /v1/admin/metrics`: per workload, over a window. */
export const Metrics = z.object({
  window_s: z.number().int(),
  since: z.string(),
  kinds: z.record(z.string(), KindMetrics),
});
export type Metrics = z.infer<typeof Metrics>;

/**
 * The alerts `GET /v1/admin/alerts` evaluates (and the scheduled upkeep logs when firing), each
 * pointing at the runbook for it. Thresholds are configuration (ALERT_THRESHOLDS).
 */
export const ALERTS = {
  dependency_down: {
    summary: "a readiness check fails (D1, R2, a queue or the runner)",
    runbook: "docs/runbooks/runner-down.md",
  },
  failure_ratio: {
    summary: "share of jobs failing in the window, per workload",
    runbook: "docs/runbooks/bad-deploy.md",
  },
  dead_letters_pending: { summary: "dead-lettered messages not yet replayed", runbook: "docs/runbooks/dlq-growing.md" },
  queue_backlog: { summary: "messages waiting in a work queue", runbook: "docs/runbooks/queue-backlog.md" },
  queue_wait_p95: {
    summary: "95th percentile of queue wait in the window (seconds), per workload",
    runbook: "docs/runbooks/queue-backlog.md",
  },
  stuck_jobs: {
    summary: "jobs not terminal with no status change or progress for stuck_after_s",
    runbook: "docs/runbooks/stuck-job.md",
  },
} as const;
export type AlertName = keyof typeof ALERTS;

export const AlertThresholds = z
  .object({
    /** The window the rate and latency alerts look at. */
    window_s: z.number().int().min(60).default(900),
    /** Failing share of jobs ended in the window, and the fewest endings it is judged on. */
    failure_ratio: z.number().min(0).max(1).default(0.2),
    min_endings: z.number().int().min(1).default(5),
    dead_letters_pending: z.number().int().min(1).default(1),
    queue_backlog: z.number().int().min(1).default(100),
    queue_wait_p95_s: z.number().positive().default(300),
    stuck_jobs: z.number().int().min(1).default(1),
    stuck_after_s: z.number().positive().default(1800),
  })
  .strict();
export type AlertThresholds = z.infer<typeof AlertThresholds>;

export const Alert = z.object({
  name: z.enum(Object.keys(ALERTS) as [AlertName, ...AlertName[]]),
  /** The workload or queue it concerns, where it is per workload. */
  scope: z.string().nullable(),
  firing: z.boolean(),
  value: z.number(),
  threshold: z.number(),
  summary: z.string(),
  runbook: z.string(),
});
export type Alert = z.infer<typeof Alert>;

export const AlertReport = z.object({ evaluated_at: z.string(), firing: z.number().int(), alerts: z.array(Alert) });
export type AlertReport = z.infer<typeof AlertReport>;

/** `GET /v1/admin/users?email=`: a user as operators look one up (the id the admin routes take). */
export const AdminUser = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(["user", "admin"]),
  created_at: z.string(),
});
export type AdminUser = z.infer<typeof AdminUser>;
