import { createLogger, type Readiness, RunnerHealth } from "../../contracts";
import type { Config } from "../config";
import { MIGRATIONS } from "../db/migrations";
import { runnerEndpoint } from "../runner/runner-endpoint";

async function timed(name: string, fn: () => Promise<unknown>): Promise<Readiness["checks"][string]> {
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

/** Probes every dependency at once: D1 (with every migration applied), R2, both work queues, the runner. */
export async function checkReadiness(env: Env, config: Config): Promise<Readiness> {
  const [d1, r2, ocrQueue, avQueue, runner] = await Promise.all([
    timed("d1", async () => {
      const applied = await env.DB.prepare("SELECT name FROM d1_migrations").all<{ name: string }>();
      const names = new Set(applied.results.map((r) => r.name));
      const missing = MIGRATIONS.filter((m) => !names.has(m));
      if (missing.length > 0) throw new Error(`migrations not applied: ${missing.join(", ")}`);
    }),
    timed("r2", () => env.FILES.list({ limit: 1 })),
    timed("ocr_queue", () => env.OCR_QUEUE.metrics()),
    timed("av_queue", () => env.AV_QUEUE.metrics()),
    timed("runner", async () => {
      const endpoint = await runnerEndpoint(env, config);
      const res = await endpoint.fetch(endpoint.url("/healthz"), { signal: AbortSignal.timeout(3000) });
      if (!res.ok) throw new Error(`runner answered ${res.status}`);
      // Jobs are accepted in OCR_LANGUAGES: the runner must have every one of them.
      const { languages } = RunnerHealth.parse(await res.json());
      const missing = config.OCR_LANGUAGES.filter((language) => !languages.includes(language));
      if (missing.length > 0) throw new Error(`runner lacks OCR_LANGUAGES ${missing.join(", ")}`);
    }),
  ]);
  const checks = { d1, r2, ocr_queue: ocrQueue, av_queue: avQueue, runner };
  return { ok: Object.values(checks).every((check) => check.ok), checks };
}
