import { createRoute, z } from "@hono/zod-openapi";
import { runnerEndpoint } from "../../consumers/runner-endpoint";
import { RunnerHealth } from "../../contracts";
import { newApp } from "../app";

const Check = z.object({ ok: z.boolean(), ms: z.number(), error: z.string().optional() });
const Readiness = z.object({ ok: z.boolean(), checks: z.record(z.string(), Check) });

async function timed(fn: () => Promise<unknown>): Promise<z.infer<typeof Check>> {
  const start = Date.now();
  try {
    await fn();
    return { ok: true, ms: Date.now() - start };
  } catch (err) {
    return { ok: false, ms: Date.now() - start, error: err instanceof Error ? err.message : String(err) };
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
      summary: "Readiness: D1, R2, both work queues and the media runner are reachable",
      responses: {
        200: { description: "ready", content: { "application/json": { schema: Readiness } } },
        503: { description: "a dependency is not reachable", content: { "application/json": { schema: Readiness } } },
      },
    }),
    async (c) => {
      const [d1, r2, ocrQueue, avQueue, runner] = await Promise.all([
        timed(() => c.env.DB.prepare("SELECT count(*) FROM d1_migrations").first()),
        timed(() => c.env.FILES.list({ limit: 1 })),
        timed(() => c.env.OCR_QUEUE.metrics()),
        timed(() => c.env.AV_QUEUE.metrics()),
        timed(async () => {
          const runner = await runnerEndpoint(c.env, c.get("config"));
          const res = await runner.fetch(runner.url("/healthz"), { signal: AbortSignal.timeout(3000) });
          if (!res.ok) throw new Error(`runner answered ${res.status}`);
          RunnerHealth.parse(await res.json());
        }),
      ]);
      const checks = { d1, r2, ocr_queue: ocrQueue, av_queue: avQueue, runner };
      const ok = Object.values(checks).every((check) => check.ok);
      return c.json({ ok, checks }, ok ? 200 : 503);
    },
  );
