import { createRoute, z } from "@hono/zod-openapi";
import { JOB_KINDS, type JobKind } from "../../../contracts";
import { newApp } from "../../app";
import { percentile } from "../../services/metrics";
import { problem } from "../jobs/schemas";

const Latency = z.object({ p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() });
const KindMetrics = z.object({
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
const Metrics = z.object({ window_s: z.number().int(), since: z.string(), kinds: z.record(z.string(), KindMetrics) });
type Metrics = z.infer<typeof Metrics>;

const route = createRoute({
  method: "get",
  path: "/v1/admin/metrics",
  summary: "Job outcomes, failures by code, retries, dead letters and latency percentiles per workload (admin)",
  description: "`format=prometheus` answers in the Prometheus text format (values over the window).",
  request: {
    query: z.object({
      window_s: z.coerce
        .number()
        .int()
        .min(60)
        .max(7 * 86_400)
        .default(3600),
      format: z.enum(["json", "prometheus"]).default("json"),
    }),
  },
  responses: {
    200: {
      description: "metrics over the window",
      content: { "application/json": { schema: Metrics }, "text/plain": { schema: z.string() } },
    },
    403: problem("not an admin"),
  },
});

type Row = { name: string; kind: JobKind; status: string | null; error_code: string | null; n: number };

async function collect(db: D1Database, since: string, windowS: number): Promise<Metrics> {
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

/** The same numbers in the Prometheus text exposition format (gauges over the window). */
function prometheus(m: Metrics): string {
  const lines: string[] = [];
  const family = (name: string, help: string) => lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
  family("verbatim_jobs_ended", `Jobs that ended in the last ${m.window_s} s, by workload and status.`);
  for (const [kind, k] of Object.entries(m.kinds)) {
    for (const status of ["succeeded", "failed", "canceled"] as const) {
      lines.push(`verbatim_jobs_ended{kind="${kind}",status="${status}"} ${k[status]}`);
    }
  }
  family("verbatim_job_failures", "Failed jobs in the window, by workload and error code.");
  for (const [kind, k] of Object.entries(m.kinds)) {
    for (const [code, n] of Object.entries(k.failed_by_code))
      lines.push(`verbatim_job_failures{kind="${kind}",code="${code}"} ${n}`);
  }
  family("verbatim_job_retries", "Retries in the window, by workload.");
  for (const [kind, k] of Object.entries(m.kinds)) lines.push(`verbatim_job_retries{kind="${kind}"} ${k.retries}`);
  family("verbatim_dead_letters", "Dead-lettered work messages in the window, by workload.");
  for (const [kind, k] of Object.entries(m.kinds))
    lines.push(`verbatim_dead_letters{kind="${kind}"} ${k.dead_letters}`);
  for (const [metric, key] of [
    ["verbatim_queue_wait_seconds", "queue_wait_ms"],
    ["verbatim_processing_seconds", "processing_ms"],
  ] as const) {
    family(
      metric,
      `${key === "queue_wait_ms" ? "Queue wait" : "Processing time"} percentiles of jobs ended in the window.`,
    );
    for (const [kind, k] of Object.entries(m.kinds)) {
      for (const q of ["p50", "p95", "p99"] as const) {
        const v = k[key][q];
        if (v !== null) lines.push(`${metric}{kind="${kind}",quantile="0.${q.slice(1)}"} ${v / 1000}`);
      }
    }
  }
  return `${lines.join("\n")}\n`;
}

export const metricsRoute = newApp().openapi(route, async (c) => {
  const { window_s, format } = c.req.valid("query");
  const metrics = await collect(c.env.DB, new Date(Date.now() - window_s * 1000).toISOString(), window_s);
  if (format === "prometheus") {
    return c.text(prometheus(metrics), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  }
  return c.json(metrics, 200);
});
