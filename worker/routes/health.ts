import { createRoute, z } from "@hono/zod-openapi";
import { Readiness } from "../../contracts";
import { newApp } from "../app";
import { checkReadiness } from "../services/readiness";

/**
 * The route is public, so it answers from a result at most READYZ_CACHE_SECONDS old (one probe per
 * isolate however often it is polled: no waking the runner container on every hit) and shows no
 * error details (they are logged).
 */
let cached: { at: number; readiness: Readiness } | null = null;

export const health = newApp()
  .openapi(
    createRoute({
      tags: ["Health"],
      method: "get",
      path: "/healthz",
      operationId: "getLiveness",
      security: [],
      summary: "Liveness: the API process answers",
      responses: {
        200: { description: "alive", content: { "application/json": { schema: z.object({ ok: z.boolean() }) } } },
      },
    }),
    (c) => c.json({ ok: true }, 200),
  )
  .openapi(
    createRoute({
      tags: ["Health"],
      method: "get",
      path: "/readyz",
      operationId: "getReadiness",
      security: [],
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
      const readiness = await checkReadiness(c.env, c.get("config"));
      cached = { at: Date.now(), readiness };
      return c.json(readiness, readiness.ok ? 200 : 503);
    },
  );
