import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { newApp } from "../app";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { devJwks, issueDevToken } from "../services/dev-issuer";

/**
 * The development issuer's endpoints (ENVIRONMENT=development only; 404 anywhere else): sign in
 * as any email, as the web UI does locally, and the keys that verify the tokens. Kept out of the
 * OpenAPI document: they are not part of the API.
 */
const developmentOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("config").ENVIRONMENT !== "development") throw new ApiError("not_found", "no such route");
  await next();
});

const signIn = createRoute({
  tags: ["Sessions"],
  middleware: [developmentOnly] as const,
  hide: true,
  method: "post",
  path: "/dev/sessions",
  operationId: "createDevSession",
  request: {
    body: { required: true, content: { "application/json": { schema: z.object({ email: z.email() }).strict() } } },
  },
  responses: { 201: { description: "a session token" } },
});

const jwks = createRoute({
  tags: ["Sessions"],
  middleware: [developmentOnly] as const,
  hide: true,
  method: "get",
  path: "/dev/jwks.json",
  operationId: "getDevJwks",
  responses: { 200: { description: "JWKS" } },
});

export const devSessionRoutes = newApp()
  .openapi(signIn, async (c) => {
    const email = c.req.valid("json").email.toLowerCase();
    return c.json(await issueDevToken(c.env.DB, c.get("config"), email), 201, { "cache-control": "no-store" });
  })
  .openapi(jwks, async (c) => c.json(await devJwks(c.env.DB), 200));
