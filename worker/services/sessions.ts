import { and, eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { ulid } from "ulid";
import { z } from "zod";
import type { Config } from "../config";
import { identities, users } from "../db/schema";
import { ApiError } from "../errors";
import { DEV_ISSUER, devJwks } from "./dev-issuer";

/** Clocks of issuer and API may disagree by this much (exp, nbf, iat). */
const CLOCK_TOLERANCE_S = 30;
const CHALLENGE = { "www-authenticate": 'Bearer realm="verbatim", error="invalid_token"' };

/** Three base64url parts: the shape of a compact JWS. */
export const looksLikeJwt = (token: string) => /^[\w-]+\.[\w-]+\.[\w-]*$/.test(token);

/** Remote key sets per JWKS URL, kept by the isolate: jose caches the keys and refetches on an unknown kid. */
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

/** The issuer whose tokens are accepted and its keys; null when sessions are off. */
async function trustedIssuer(
  db: D1Database,
  config: Config,
): Promise<{ issuer: string; keys: JWTVerifyGetKey } | null> {
  if (config.JWT_ISSUER && config.JWT_JWKS_URL) {
    const url = config.JWT_JWKS_URL;
    const keys = remoteKeySets.get(url) ?? createRemoteJWKSet(new URL(url));
    remoteKeySets.set(url, keys);
    return { issuer: config.JWT_ISSUER, keys };
  }
  if (config.ENVIRONMENT === "development") return { issuer: DEV_ISSUER, keys: createLocalJWKSet(await devJwks(db)) };
  return null;
}

/**
 * Verifies a session token: signature by the trusted issuer's keys with an allowed algorithm,
 * `iss`, `aud`, `exp` and `sub` required, `nbf` when present, small clock leeway, and an email.
 * Anything else is 401: `token_expired` for an expired token, `unauthorized` with the reason otherwise.
 */
export async function verifySession(
  db: D1Database,
  config: Config,
  token: string,
): Promise<{ issuer: string; subject: string; email: string }> {
  const trusted = await trustedIssuer(db, config);
  if (!trusted) throw new ApiError("unauthorized", "session tokens are not accepted here; use an API key", CHALLENGE);
  try {
    const { payload } = await jwtVerify(token, trusted.keys, {
      issuer: trusted.issuer,
      audience: config.JWT_AUDIENCE,
      algorithms: config.JWT_ALGORITHMS,
      clockTolerance: CLOCK_TOLERANCE_S,
      requiredClaims: ["iss", "aud", "exp", "sub"],
    });
    const email = z.email().safeParse(payload.email);
    if (!email.success || !payload.sub)
      throw new ApiError("unauthorized", "the session token names no email", CHALLENGE);
    // The email decides which user this is: an address the issuer has not verified could be anyone's.
    if (config.JWT_REQUIRE_EMAIL_VERIFIED && payload.email_verified !== true) {
      throw new ApiError("unauthorized", "the issuer does not vouch for the token's email (email_verified)", CHALLENGE);
    }
    return { issuer: trusted.issuer, subject: payload.sub, email: email.data.toLowerCase() };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    if (err instanceof errors.JWTExpired)
      throw new ApiError("token_expired", "the session token has expired", CHALLENGE);
    if (err instanceof errors.JOSEError) {
      throw new ApiError("unauthorized", `the session token is not valid (${err.code}: ${err.message})`, CHALLENGE);
    }
    throw err;
  }
}

/**
 * The user an identity signs in as: the one it signed in as before; else the user with its email
 * (made by `keys:create`, say), now linked; else a new user.
 */
export async function sessionUser(
  db: D1Database,
  identity: { issuer: string; subject: string; email: string },
): Promise<{ id: string; email: string; role: "user" | "admin" }> {
  const orm = drizzle(db);
  const known = await orm
    .select({ id: users.id, email: users.email, role: users.role })
    .from(identities)
    .innerJoin(users, eq(users.id, identities.user_id))
    .where(and(eq(identities.issuer, identity.issuer), eq(identities.subject, identity.subject)))
    .get();
  if (known) return known;
  const now = new Date().toISOString();
  await orm
    .insert(users)
    .values({ id: `usr_${ulid()}`, email: identity.email, role: "user", created_at: now })
    .onConflictDoNothing();
  const user = await orm
    .select({ id: users.id, email: users.email, role: users.role })
    .from(users)
    .where(eq(users.email, identity.email))
    .get();
  if (!user) throw new Error(`no user for ${identity.email}`);
  await orm
    .insert(identities)
    .values({ issuer: identity.issuer, subject: identity.subject, user_id: user.id, created_at: now })
    .onConflictDoNothing();
  return user;
}
