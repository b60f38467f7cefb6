import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from "jose";
import type { Config } from "../config";
import { devSigningKeys } from "../db/schema";

/**
 * The development issuer: in `npm run dev` it stands in for Cloudflare Access or an OIDC provider,
 * signing session tokens that the API verifies with exactly the code production uses (issuer,
 * audience, algorithm allowlist, expiry, JWKS). It exists only where ENVIRONMENT=development.
 */
export const DEV_ISSUER = "urn:verbatim:dev-issuer";
const KID = "dev-es256-1";
const ALG = "ES256";
const TOKEN_TTL_S = 3600;

async function signingKey(db: D1Database): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const orm = drizzle(db);
  let row = await orm.select().from(devSigningKeys).where(eq(devSigningKeys.kid, KID)).get();
  if (!row) {
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: KID, alg: ALG, use: "sig" };
    // Two isolates may race to make it: the first insert wins and both read the winner back.
    await orm
      .insert(devSigningKeys)
      .values({
        kid: KID,
        private_jwk: JSON.stringify({ ...(await exportJWK(privateKey)), kid: KID, alg: ALG }),
        public_jwk: JSON.stringify(publicJwk),
        created_at: new Date().toISOString(),
      })
      .onConflictDoNothing();
    row = await orm.select().from(devSigningKeys).where(eq(devSigningKeys.kid, KID)).get();
  }
  if (!row) throw new Error("the development signing key could not be stored");
  return { privateJwk: JSON.parse(row.private_jwk), publicJwk: JSON.parse(row.public_jwk) };
}

export async function devJwks(db: D1Database): Promise<JSONWebKeySet> {
  return { keys: [(await signingKey(db)).publicJwk] };
}

/** A session token for `email` (subject: the email), valid for an hour. */
export async function issueDevToken(db: D1Database, config: Config, email: string) {
  const { privateJwk } = await signingKey(db);
  const expires = Math.floor(Date.now() / 1000) + TOKEN_TTL_S;
  const token = await new SignJWT({ email, email_verified: true })
    .setProtectedHeader({ alg: ALG, kid: KID, typ: "JWT" })
    .setIssuer(DEV_ISSUER)
    .setAudience(config.JWT_AUDIENCE)
    .setSubject(email)
    .setIssuedAt()
    .setExpirationTime(expires)
    .sign(await importJWK(privateJwk, ALG));
  return { token, token_type: "Bearer" as const, expires_at: new Date(expires * 1000).toISOString() };
}
