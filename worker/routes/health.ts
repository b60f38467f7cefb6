import { createRoute, z } from "@hono/zod-openapi";
import { runnerEndpoint } from "../../consumers/runner-endpoint";
import { createLogger, RunnerHealth } from "../../contracts";
import { newApp } from "../app";
import { MIGRATIONS } from "../db/migrations";

const Check = z.object({ ok: z.boolean(), ms: z.number() });
const Readiness = z.object({ ok: z.boolean(), checks: z.record(z.string(), Check) });
type Readiness = z.infer<typeof Readiness>;

/**
 * The route is public, so it answers from a result at most READYZ_CACHE_SECONDS old (one probe per
 * isolate however often it is polled: no waking the runner container on every hit) and shows no
 * error details (they are logged).
 */
let cached: { at: number; readiness: Readiness } | null = null;

async function timed(name: string, fn: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const start = Date.now();
  try {
    await fn();
    return { ok: true, ms: Date.now() - start };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    createLogger("api").warn("readiness check failed", { check: name, error });
    return { ok: false, ms: Date.now() - start };
  }
}

export const health = newApp()
  .openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      summary: "Liveness: the API process answers",
      responses: {
        200: { description: "alive", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } },
      },
    }),
    (c) => c.json({ ok: true }, 200),
  )
  .openapi(
    createRoute({
      method: "get",
      path: "/readyz",
      summary: "Readiness: D1 (with every migration applied), R2, both work queues and the media runner are reachable",
      responses: {
        200: { description: "ready", content: { "application/json": { schema: Readiness } } },
        503: { description: "a dependency is not reachable", content: { "application/json": { schema: Readiness } } },
      },
    }),
    async (c) => {
      if (cached && Date.now() - cached.at < c.get("config").READYZ_CACHE_SECONDS * 1000) {
        return c.json(cached.readiness, cached.readiness.ok ? 200 : 503);
      }
      const [d1, r2, ocrQueue, avQueue, runner] = await Promise.all([
        timed("d1", async () => {
          const applied = await c.env.DB.prepare("SELECT name FROM d1_migrations").all<{ name: string }>();
          const names = new Set(applied.results.map((r) => r.name));
          const missing = MIGRATIONS.filter((m) => !names.has(m));
          if (missing.length > 0) throw new Error(`migrations not applied: ${missing.join(", ")}`);
        }),
        timed("r2", () => c.env.FILES.list({ limit: 1 })),
        timed("ocr_queue", () => c.env.OCR_QUEUE.metrics()),
        timed("av_queue", () => c.env.AV_QUEUE.metrics()),
        timed("runner", async () => {
          const runner = await runnerEndpoint(c.env, c.get("config"));
          const res = await runner.fetch(runner.url("/healthz"), { signal: AbortSignal.timeout(3000) });
          if (!res.ok) throw new Error(`runner answered ${res.status}`);
          RunnerHealth.parse(await res.json());
        }),
      ]);
      const checks = { d1, r2, ocr_queue: ocrQueue, av_queue: avQueue, runner };
      const readiness = { ok: Object.values(checks).every((check) => check.ok), checks };
      cached = { at: Date.now(), readiness };
      return c.json(readiness, readiness.ok ? 200 : 503);
    },
  );
