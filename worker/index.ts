import { handleQueue } from "../consumers";
import { createLogger } from "../contracts";
import { newApp, withBaseMiddleware } from "./app";
import { loadConfig } from "./config";
import { apiKeyAuth } from "./middleware/auth";
import { rateLimit } from "./middleware/rate-limit";
import { alertsRoute } from "./routes/admin/alerts";
import { deadLetterRoutes } from "./routes/admin/dead-letters";
import { metricsRoute } from "./routes/admin/metrics";
import { operationsRoutes } from "./routes/admin/operations";
import { adminUserRoutes } from "./routes/admin/users";
import { devSessionRoutes } from "./routes/dev-sessions";
import { adminFlagRoutes, flagRoutes } from "./routes/flags";
import { health } from "./routes/health";
import { jobRoutes, publicJobRoutes } from "./routes/jobs";
import { keyRoutes } from "./routes/keys";
import { languagesRoute } from "./routes/languages";
import { uploadRoutes } from "./routes/uploads";
import { usageRoute } from "./routes/usage";
import { webhookRoutes } from "./routes/webhooks";
import { evaluateAlerts } from "./services/alerts";
import { purgeExpiredIdempotencyKeys } from "./services/idempotency";
import { purgeDeletedUsage, purgeExpiredJobs } from "./services/job-deletion";
import { purgeOldMetrics } from "./services/metrics";
import { purgeExpiredUploads } from "./services/uploads";

export { JobCoordinator } from "./durable/job-coordinator";
export { MediaRunner } from "./runner/media-runner";

const app = withBaseMiddleware(newApp());
app.route("/", health);
app.route("/", publicJobRoutes);
app.route("/", devSessionRoutes);
// Hono runs handlers in registration order: everything above the API-key middleware is public
// (health, the OpenAPI document, the events socket which authenticates itself, and the
// development issuer's sign-in, which exists only in development).
app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
  type: "http",
  scheme: "bearer",
  description: "An API key (`vb_…`, from POST /v1/keys or `npm run keys:create`) or a session token (JWT).",
});
/**
 * The project publishes no license. SPDX has no identifier for proprietary terms; `LicenseRef-` is
 * its form for one not on its list. A constant, not a literal in doc31's argument: that is typed
 * with OpenAPI 3.0's objects, whose License has no `identifier` (3.1 added it).
 */
const license = { name: "Proprietary", identifier: "LicenseRef-Proprietary" };
app.doc31("/v1/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "Verbatim API",
    version: "1.0.0",
    description: "Text from documents, images, audio and video.",
    license,
  },
  // Relative: the origin that serves this document, whichever deployment (local, production, a
  // preview) that is. The paths carry the /v1 prefix themselves.
  servers: [{ url: "/", description: "this deployment (the origin serving this document)" }],
  security: [{ bearer: [] }],
  // Every operation names one of these (redocly.yaml checks it), so readers of the document see the API by topic.
  tags: [
    { name: "Jobs", description: "Submit a file, follow its job live, fetch its results, cancel or delete it." },
    { name: "Uploads", description: "Large files in parts (resumable), then made a job." },
    { name: "Languages", description: "What this deployment reads and hears, and its speech engines." },
    { name: "Usage", description: "Your use and your limits." },
    { name: "Webhooks", description: "Callbacks when your jobs change, signed, with their deliveries." },
    { name: "API keys", description: "Keys for scripts and servers, with scopes." },
    { name: "Flags", description: "The feature flags as they apply to you." },
    {
      name: "Admin",
      description: "Operators only (the admin role and scope): users, limits, flags, metrics, alerts, dead letters.",
    },
    { name: "Health", description: "Liveness and readiness, without credentials." },
    { name: "Sessions", description: "Development only: the local sign-in issuer." },
  ],
});
app.use("/v1/*", apiKeyAuth());
app.use("/v1/*", rateLimit());
app.route("/", jobRoutes);
app.route("/", keyRoutes);
app.route("/", usageRoute);
app.route("/", languagesRoute);
app.route("/", uploadRoutes);
app.route("/", webhookRoutes);
app.route("/", flagRoutes);
app.route("/", deadLetterRoutes);
app.route("/", metricsRoute);
app.route("/", alertsRoute);
app.route("/", adminFlagRoutes);
app.route("/", operationsRoutes);
app.route("/", adminUserRoutes);

export default {
  fetch: app.fetch,
  queue: handleQueue,
  /** Every five minutes: alerts (each firing one logged, for log-based alerting), and purges. */
  async scheduled(_controller, env) {
    const config = loadConfig(env);
    const log = createLogger("api", config.LOG_LEVEL);
    // Each step on its own: one that fails (D1 briefly down, say) is logged and skips no other.
    const step = async <T>(name: string, run: () => Promise<T>): Promise<T | null> => {
      try {
        return await run();
      } catch (err) {
        log.error("upkeep step failed", { step: name, error: String(err) });
        return null;
      }
    };
    const report = await step("alerts", () => evaluateAlerts(env, config));
    for (const { name, scope, value, threshold, runbook } of report?.alerts.filter((a) => a.firing) ?? []) {
      log.error("alert firing", { alert: name, scope, value, threshold, runbook });
    }
    const days = config.JOB_RETENTION_DAYS;
    log.info("upkeep", {
      idempotency_keys_purged: await step("idempotency keys", () => purgeExpiredIdempotencyKeys(env.DB)),
      metric_events_purged: await step("metrics", () => purgeOldMetrics(env.DB)),
      uploads_discarded: await step("uploads", () => purgeExpiredUploads(env)),
      deleted_job_usage_purged: await step("deleted job usage", () => purgeDeletedUsage(env.DB)),
      expired_jobs_deleted: days > 0 ? await step("expired jobs", () => purgeExpiredJobs(env, days)) : 0,
    });
  },
} satisfies ExportedHandler<Env>;
