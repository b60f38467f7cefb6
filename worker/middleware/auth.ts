import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { type Scope, scopesOfRole } from "../../contracts";
import type { AppEnv, AuthUser } from "../app-env";
import { apiKeys, users } from "../db/schema";
import { ApiError } from "../errors";
import { API_KEY_PREFIX, hashApiKey, isWellFormedApiKey } from "../lib/api-key";
import { touchApiKey } from "../services/api-keys";
import { looksLikeJwt, sessionUser, verifySession } from "../services/sessions";

const CHALLENGE = 'Bearer realm="verbatim"';

/**
 * `Authorization: Bearer <api key or session token>` → the caller, or 401. A key that is not
 * well-formed (shape or checksum) is refused before any lookup; a revoked key stops at once. A
 * session token (JWT, from the web UI's sign-in) is verified against the trusted issuer and
 * carries every scope its user's role allows: it is the user at the keyboard.
 */
export async function authenticate(c: Context<AppEnv>): Promise<AuthUser> {
  const header = c.req.header("authorization") ?? "";
  const key = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
  if (!key) {
    throw new ApiError("unauthorized", "send `Authorization: Bearer <api key or session token>`", {
      "www-authenticate": CHALLENGE,
    });
  }
  if (!key.startsWith(API_KEY_PREFIX) && looksLikeJwt(key)) {
    const identity = await verifySession(c.env.DB, c.get("config"), key);
    const person = await sessionUser(c.env.DB, identity);
    const user: AuthUser = { ...person, keyId: null, scopes: scopesOfRole(person.role) };
    c.set("user", user);
    return user;
  }
  const invalid = (detail: string) =>
    new ApiError("unauthorized", detail, { "www-authenticate": `${CHALLENGE}, error="invalid_token"` });
  if (!(await isWellFormedApiKey(key))) {
    throw invalid("this is not a Verbatim API key (its format or checksum is wrong)");
  }
  const row = await drizzle(c.env.DB)
    .select({
      id: users.id,
      email: users.email,
      role: users.role,
      keyId: apiKeys.id,
      scopes: apiKeys.scopes,
      revoked_at: apiKeys.revoked_at,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.user_id))
    .where(eq(apiKeys.key_hash, await hashApiKey(key)))
    .get();
  if (!row || row.revoked_at) throw invalid("the API key is unknown or revoked");
  const user: AuthUser = { id: row.id, email: row.email, role: row.role, keyId: row.keyId, scopes: row.scopes };
  c.set("user", user);
  // Off the request's path: when the key was last used is for its owner's list, not for this answer.
  c.executionCtx.waitUntil(touchApiKey(c.env.DB, row.keyId).catch(() => undefined));
  return user;
}

export const apiKeyAuth = () =>
  createMiddleware<AppEnv>(async function apiKeyAuth(c, next) {
    await authenticate(c);
    await next();
  });

/**
 * Route middleware of every admin route: the caller must be an admin, and its key must carry the
 * `admin` scope (an admin's key limited to other scopes cannot administer); 403 `forbidden` otherwise.
 */
export const requireAdmin = () =>
  createMiddleware<AppEnv>(async function requireAdmin(c, next) {
    const user = c.get("user");
    if (user.role !== "admin") throw new ApiError("forbidden", "this route needs the admin role");
    assertScope(user, "admin");
    await next();
  });

/** Checks the caller's key carries `scope`; 403 `forbidden` naming it otherwise. */
export function assertScope(user: AuthUser, scope: Scope): void {
  if (!user.scopes.includes(scope)) throw new ApiError("forbidden", `this API key lacks the ${scope} scope`);
}

/** Route middleware: the caller's key must carry `scope`. Every authenticated route declares one. */
export const requireScope = (scope: Scope) =>
  createMiddleware<AppEnv>(async function requireScope(c, next) {
    assertScope(c.get("user"), scope);
    await next();
  });
