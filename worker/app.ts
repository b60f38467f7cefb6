import { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import { HTTPException } from "hono/http-exception";
import { requestId } from "hono/request-id";
import { createLogger } from "../contracts";
import { problemResponse } from "../contracts/errors";
import type { AppEnv } from "./app-env";
import { loadConfig } from "./config";
import { ApiError } from "./errors";
import { flagReader } from "./services/flags";

/**
 * A Hono app with the platform's error handling: every failure becomes problem+json with a stable
 * code and the request id; request validation failures become `validation_failed`.
 */
export function newApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const detail = result.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; ");
        return problemResponse("validation_failed", c.get("requestId"), detail);
      }
    },
  });
  app.onError((err, c) => {
    const id = c.get("requestId") ?? crypto.randomUUID();
    if (err instanceof ApiError) return problemResponse(err.code, id, err.detail, err.headers);
    const refused = badBody(err);
    if (refused) return problemResponse(refused.code, id, refused.detail);
    const log = c.get("log") ?? createLogger("api").with({ request_id: id });
    log.error("unhandled error", { error: String(err), stack: err instanceof Error ? err.stack : undefined });
    return problemResponse("internal_error", id);
  });
  app.notFound((c) => problemResponse("not_found", c.get("requestId") ?? crypto.randomUUID(), "no such route"));
  return app;
}

/**
 * A request body the validators could not read, as the caller's error: a JSON body that does not
 * parse (`invalid_json`, 400) or a body sent as another type than the route takes (415). Hono's
 * validators throw these as HTTPExceptions; anything else is not the caller's doing.
 */
function badBody(err: Error): { code: "invalid_json" | "unsupported_content_type"; detail: string } | null {
  if (!(err instanceof HTTPException)) return null;
  if (err.status === 400 && /JSON/.test(err.message)) {
    return { code: "invalid_json", detail: "the request body is not valid JSON" };
  }
  if (err.status === 415) {
    return { code: "unsupported_content_type", detail: "send the body as `Content-Type: application/json`" };
  }
  return null;
}

/** CORS for an origin on CORS_ORIGINS: bearer credentials (no cookies), the headers the API reads and sends. */
const allowCrossOrigin = cors({
  origin: (origin) => origin,
  allowMethods: ["GET", "POST", "PUT", "DELETE"],
  allowHeaders: ["authorization", "content-type", "idempotency-key", "x-request-id", "range"],
  exposeHeaders: [
    "x-request-id",
    "location",
    "idempotent-replayed",
    "retry-after",
    "www-authenticate",
    "content-disposition",
    "content-range",
  ],
  maxAge: 600,
});

/**
 * Every request: a request id (taken from a well-formed X-Request-Id, else generated), validated
 * config, a logger carrying the request id, and one log line when the request ends.
 */
export function withBaseMiddleware(app: ReturnType<typeof newApp>) {
  app.use(requestId({ headerName: "X-Request-Id", limitLength: 128 }));
  app.use(async function validatedConfig(c, next) {
    const config = loadConfig(c.env);
    c.set("config", config);
    c.set("flags", flagReader(c.env.DB, config));
    await next();
  });
  app.use(async function requestLog(c, next) {
    const log = createLogger("api", c.get("config").LOG_LEVEL).with({ request_id: c.get("requestId") });
    c.set("log", log);
    const started = Date.now();
    await next();
    const user = c.get("user");
    log.info("request", {
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      duration_ms: Date.now() - started,
      ...(user ? { user_id: user.id } : {}),
      ...jobOf(c.req.path, c.res.headers.get("location")),
    });
  });
  app.use(async function corsAllowlist(c, next) {
    const origin = c.req.header("origin");
    if (!origin) return next();
    if (c.get("config").CORS_ORIGINS.includes(origin)) return allowCrossOrigin(c, next);
    // Not on the list: no CORS headers, so the browser keeps any answer from the page; a preflight
    // is refused outright.
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method")) {
      return problemResponse("forbidden", c.get("requestId"), `the origin ${origin} may not call this API`);
    }
    return next();
  });
  return app;
}

/** The job a request was about (its path, or the Location of a job it created), for the log line. */
function jobOf(path: string, location: string | null): { job_id?: string } {
  const id = /\/v1\/jobs\/(job_[0-9A-Z]+)/.exec(location ?? path)?.[1];
  return id ? { job_id: id } : {};
}
