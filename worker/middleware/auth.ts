import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, AuthUser } from "../app-env";
import { apiKeys, users } from "../db/schema";
import { ApiError } from "../errors";
import { API_KEY_PREFIX, hashApiKey } from "../services/api-keys";

/** `Authorization: Bearer <api key>` → the caller, or 401 `unauthorized`. Revoked keys stop at once. */
export async function authenticate(c: Context<AppEnv>): Promise<AuthUser> {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  const key = match?.[1];
  if (!key?.startsWith(API_KEY_PREFIX)) {
    throw new ApiError("unauthorized", "send `Authorization: Bearer <api key>`", {
      "www-authenticate": 'Bearer realm="verbatim"',
    });
  }
  const row = await drizzle(c.env.DB)
    .select({ id: users.id, email: users.email, role: users.role, revoked_at: apiKeys.revoked_at })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.user_id))
    .where(eq(apiKeys.key_hash, await hashApiKey(key)))
    .get();
  if (!row || row.revoked_at) {
    throw new ApiError("unauthorized", "the API key is unknown or revoked", {
      "www-authenticate": 'Bearer realm="verbatim", error="invalid_token"',
    });
  }
  const user = { id: row.id, email: row.email, role: row.role };
  c.set("user", user);
  return user;
}

export const apiKeyAuth = () =>
  createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    await authenticate(c);
    await next();
  });

/** Lets only callers with `role` through; others get 403 `forbidden`. Runs after `apiKeyAuth`. */
export const requireRole = (role: AuthUser["role"]) =>
  createMiddleware<AppEnv>(async function requireRole(c, next) {
    if (c.get("user").role !== role) throw new ApiError("forbidden", `this route needs the ${role} role`);
    await next();
  });
