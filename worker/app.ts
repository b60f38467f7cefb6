import { OpenAPIHono } from "@hono/zod-openapi";
import { requestId } from "hono/request-id";
import type { AppEnv } from "./app-env";
import { loadConfig } from "./config";
import { ApiError, problemResponse } from "./errors";

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
    console.error(JSON.stringify({ level: "error", msg: "unhandled error", request_id: id, error: String(err) }));
    return problemResponse("internal_error", id);
  });
  app.notFound((c) => problemResponse("not_found", c.get("requestId") ?? crypto.randomUUID(), "no such route"));
  return app;
}

/** Every request: a request id (taken from a well-formed X-Request-Id, else generated) and validated config. */
export function withBaseMiddleware(app: ReturnType<typeof newApp>) {
  app.use(requestId({ headerName: "X-Request-Id", limitLength: 128 }));
  app.use(async function validatedConfig(c, next) {
    c.set("config", loadConfig(c.env));
    await next();
  });
  return app;
}
