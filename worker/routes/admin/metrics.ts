import { createRoute, z } from "@hono/zod-openapi";
import { Metrics } from "../../../contracts";
import { newApp } from "../../app";
import { requireAdmin } from "../../middleware/auth";
import { collectMetrics } from "../../services/metrics";
import { authErrors, problem } from "../shared";

const route = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/metrics",
  operationId: "getMetrics",
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
    ...authErrors("admin"),
    422: problem("a bad window or format (`validation_failed`)"),
  },
});

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
  const metrics = await collectMetrics(c.env.DB, window_s);
  if (format === "prometheus") {
    return c.text(prometheus(metrics), 200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
  }
  return c.json(metrics, 200);
});
