import {
  type CurvePoint,
  createLogger,
  curveOf,
  type ErrorCode,
  JOB_KINDS,
  type Job,
  type JobKind,
  type JobStatus,
  kindOfProfile,
  type MeasuredJob,
  type Metrics,
  PROFILES,
  type Profile,
  profileOf,
  queueStateOf,
  type Throughput,
} from "../../contracts";
import { activeJobsByKind } from "../db/jobs-table";

export type MetricEvent =
  | { name: "job_ended"; job: Job }
  | { name: "job_retried"; kind: JobKind; error_code: ErrorCode | null }
  | { name: "job_dead_lettered"; kind: JobKind; error_code: ErrorCode | null };

const ms = (from: string | null, to: string | null) =>
  from && to ? Math.max(0, Date.parse(to) - Date.parse(from)) : null;

/** Pages of an OCR job, audio minutes of an A/V one: what its processing time is divided by. */
const unitsOf = (job: Job): number | null =>
  job.kind === "ocr" ? job.file.pages : job.file.duration_s === null ? null : job.file.duration_s / 60;

/**
 * Records one operational event: in D1 (what the admin metrics endpoint reads) and, where the
 * METRICS binding exists (production), in Workers Analytics Engine. Losing a metric must never fail
 * the job, so errors are logged and swallowed.
 */
export async function recordMetric(env: Env, event: MetricEvent): Promise<void> {
  const at = new Date().toISOString();
  const row =
    event.name === "job_ended"
      ? {
          kind: event.job.kind,
          status: event.job.status as JobStatus | null,
          error_code: event.job.error?.code ?? null,
          queue_wait_ms: ms(event.job.created_at, event.job.started_at),
          processing_ms: ms(event.job.started_at, event.job.finished_at),
          attempts: event.job.attempts,
          units: unitsOf(event.job),
          profile: profileOf(event.job.file.mime) as Profile | null,
        }
      : {
          kind: event.kind,
          status: null,
          error_code: event.error_code,
          queue_wait_ms: null,
          processing_ms: null,
          attempts: null,
          units: null,
          profile: null,
        };
  try {
    await env.DB.prepare(
      `INSERT INTO metric_events (name, kind, status, error_code, queue_wait_ms, processing_ms, attempts, units, profile, at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
      .bind(
        event.name,
        row.kind,
        row.status,
        row.error_code,
        row.queue_wait_ms,
        row.processing_ms,
        row.attempts,
        row.units,
        row.profile,
        at,
      )
      .run();
    env.METRICS?.writeDataPoint({
      indexes: [row.kind],
      blobs: [event.name, row.kind, row.status ?? "", row.error_code ?? ""],
      doubles: [row.queue_wait_ms ?? 0, row.processing_ms ?? 0, row.attempts ?? 0],
    });
  } catch (err) {
    createLogger("api").warn("metric not recorded", { metric: event.name, error: String(err) });
  }
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? null;
}

/** Metric events older than this are removed by the hourly upkeep (Analytics Engine keeps its own). */
export const METRICS_RETENTION_DAYS = 30;

export async function purgeOldMetrics(db: D1Database, now = new Date()): Promise<number> {
  const before = new Date(now.getTime() - METRICS_RETENTION_DAYS * 86_400_000).toISOString();
  const result = await db.prepare("DELETE FROM metric_events WHERE at < ?").bind(before).run();
  return result.meta.changes ?? 0;
}

type Row = { name: string; kind: JobKind; status: string | null; error_code: string | null; n: number };

/** Job outcomes, failures by code, retries, dead letters and latency percentiles per workload over the last `windowS`. */
export async function collectMetrics(db: D1Database, windowS: number): Promise<Metrics> {
  const since = new Date(Date.now() - windowS * 1000).toISOString();
  const counts = await db
    .prepare(
      `SELECT name, kind, status, error_code, count(*) AS n FROM metric_events WHERE at >= ?
       GROUP BY name, kind, status, error_code`,
    )
    .bind(since)
    .all<Row>();
  const kinds: Metrics["kinds"] = {};
  for (const kind of JOB_KINDS) {
    const rows = counts.results.filter((r) => r.kind === kind);
    const sum = (pick: (r: Row) => boolean) => rows.filter(pick).reduce((total, r) => total + r.n, 0);
    const byCode = (name: string) =>
      Object.fromEntries(
        rows
          .filter((r) => r.name === name && r.error_code && (name !== "job_ended" || r.status === "failed"))
          .map((r) => [r.error_code as string, r.n]),
      );
    const latency = async (column: "queue_wait_ms" | "processing_ms") => {
      const values = await db
        .prepare(
          `SELECT ${column} AS v FROM metric_events WHERE name = 'job_ended' AND kind = ? AND at >= ?
           AND ${column} IS NOT NULL ORDER BY ${column} LIMIT 100000`,
        )
        .bind(kind, since)
        .all<{ v: number }>();
      const sorted = values.results.map((r) => r.v);
      return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
    };
    kinds[kind] = {
      succeeded: sum((r) => r.name === "job_ended" && r.status === "succeeded"),
      failed: sum((r) => r.name === "job_ended" && r.status === "failed"),
      canceled: sum((r) => r.name === "job_ended" && r.status === "canceled"),
      failed_by_code: byCode("job_ended"),
      retries: sum((r) => r.name === "job_retried"),
      retries_by_code: byCode("job_retried"),
      dead_letters: sum((r) => r.name === "job_dead_lettered"),
      queue_wait_ms: await latency("queue_wait_ms"),
      processing_ms: await latency("processing_ms"),
    };
  }
  return { window_s: windowS, since, kinds };
}

/**
 * Processing time per page (OCR) and per audio minute (A/V) of the jobs that succeeded in the last
 * `windowS` seconds, over all users: what the web UI's estimates before an upload are made from.
 * `null` where no such job ended in the window.
 */
export async function measuredThroughput(db: D1Database, windowS = 7 * 86_400): Promise<Throughput> {
  const since = new Date(Date.now() - windowS * 1000).toISOString();
  const { results } = await db
    .prepare(
      `SELECT kind, count(*) AS jobs, sum(processing_ms) AS ms, sum(units) AS units FROM metric_events
       WHERE name = 'job_ended' AND at >= ? AND status = 'succeeded' AND units > 0 AND processing_ms IS NOT NULL
       GROUP BY kind`,
    )
    .bind(since)
    .all<{ kind: JobKind; jobs: number; ms: number; units: number }>();
  const per = (kind: JobKind) => {
    const row = results.find((r) => r.kind === kind);
    return row ? { seconds_per_unit: row.ms / 1000 / row.units, jobs: row.jobs } : null;
  };
  const [measured, active] = await Promise.all([recentJobs(db, since), activeJobsByKind(db)]);
  const of = (profile: Profile) => measured.filter((j) => j.profile === profile);
  const ofKind = (kind: JobKind) => measured.filter((j) => kindOfProfile(j.profile) === kind);
  return {
    window_s: windowS,
    ocr_per_page: per("ocr"),
    av_per_minute: per("av"),
    estimates: {
      curves: Object.fromEntries(PROFILES.map((p) => [p, curveOf(of(p))])) as Record<Profile, CurvePoint[]>,
      queues: { ocr: queueStateOf(ofKind("ocr"), active.ocr), av: queueStateOf(ofKind("av"), active.av) },
    },
  };
}

/** The most recent succeeded jobs with a size and a profile (at most `limit`), as estimates read them. */
async function recentJobs(db: D1Database, since: string, limit = 2000): Promise<MeasuredJob[]> {
  const { results } = await db
    .prepare(
      `SELECT profile, units, processing_ms, queue_wait_ms FROM metric_events
       WHERE name = 'job_ended' AND at >= ? AND status = 'succeeded' AND units > 0 AND processing_ms IS NOT NULL
         AND profile IS NOT NULL
       ORDER BY at DESC LIMIT ?`,
    )
    .bind(since, limit)
    .all<{ profile: Profile; units: number; processing_ms: number; queue_wait_ms: number | null }>();
  return results.map((r) => ({
    profile: r.profile,
    units: r.units,
    processing_s: r.processing_ms / 1000,
    wait_s: r.queue_wait_ms === null ? null : r.queue_wait_ms / 1000,
  }));
}
