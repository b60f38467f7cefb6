import { createExecutionContext, env, SELF } from "cloudflare:test";
import { base64url, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { Problem } from "../contracts";
import worker from "./index";
import { DEV_ISSUER } from "./services/dev-issuer";
import { createUserWithKey } from "./test/helpers";

/**
 * Session tokens (JWT) as the web UI sends them, verified with the code production runs; here the
 * development issuer signs. Attack cases: every token that is not exactly right is a 401.
 */
const api = (path: string, init: RequestInit = {}) => SELF.fetch(`https://api.test${path}`, init);
const withToken = (token: string) => api("/v1/jobs", { headers: { authorization: `Bearer ${token}` } });

async function signIn(email: string): Promise<{ token: string; expires_at: string }> {
  const res = await api("/dev/sessions", {
    method: "POST",
    body: JSON.stringify({ email }),
    headers: { "content-type": "application/json" },
  });
  expect(res.status).toBe(201);
  return res.json();
}

/** The development issuer's own key (made by the first sign-in), to forge tokens that only differ in their claims. */
async function issuerKey() {
  await signIn("warmup@example.test");
  const row = await env.DB.prepare("SELECT private_jwk FROM dev_signing_keys").first<{ private_jwk: string }>();
  const jwk = JSON.parse(row?.private_jwk ?? "{}") as JWK;
  return { key: await importJWK(jwk, "ES256"), kid: jwk.kid as string };
}

const now = () => Math.floor(Date.now() / 1000);
const claims = { email: "forged@example.test", email_verified: true };

async function forged(change: (jwt: SignJWT) => SignJWT, header: { alg?: string; kid?: string } = {}) {
  const { key, kid } = await issuerKey();
  const base = new SignJWT(claims)
    .setProtectedHeader({ alg: "ES256", kid, ...header })
    .setIssuer(DEV_ISSUER)
    .setAudience("verbatim")
    .setSubject("forged@example.test")
    .setIssuedAt()
    .setExpirationTime(now() + 600);
  return change(base).sign(key);
}

async function expect401(token: string, code = "unauthorized") {
  const res = await withToken(token);
  expect(res.status).toBe(401);
  const problem = Problem.parse(await res.json());
  expect(problem.code).toBe(code);
  return problem.detail ?? "";
}

describe("session tokens", () => {
  it("signs in through the development issuer and acts as that user, with every scope", async () => {
    const { token, expires_at } = await signIn("Dev.User@Example.test");
    expect(Date.parse(expires_at)).toBeGreaterThan(Date.now());
    expect((await withToken(token)).status).toBe(200);
    // The same user each time; keys can be managed from the session (the UI's account page).
    const keys = await api("/v1/keys", { headers: { authorization: `Bearer ${token}` } });
    expect(keys.status).toBe(200);
    const row = await env.DB.prepare(
      "SELECT u.email FROM identities i JOIN users u ON u.id = i.user_id WHERE i.subject = ?",
    )
      .bind("dev.user@example.test")
      .first();
    expect(row?.email).toBe("dev.user@example.test");
  });

  it("signs in as the user an email already belongs to", async () => {
    const email = `known-${Date.now()}@example.test`;
    const { userId, auth } = await createUserWithKey(email);
    const { token } = await signIn(email);
    await api("/v1/jobs", { headers: { authorization: `Bearer ${token}` } });
    const linked = await env.DB.prepare("SELECT user_id FROM identities WHERE subject = ?").bind(email).first();
    expect(linked?.user_id).toBe(userId);
    expect((await api("/v1/jobs", { headers: auth })).status).toBe(200);
  });

  it("refuses alg none", async () => {
    const header = base64url.encode(JSON.stringify({ alg: "none", typ: "JWT" }));
    const payload = base64url.encode(
      JSON.stringify({
        iss: DEV_ISSUER,
        aud: "verbatim",
        sub: "x@example.test",
        email: "x@example.test",
        exp: now() + 600,
      }),
    );
    await expect401(`${header}.${payload}.`);
  });

  it("refuses an algorithm outside the allowlist (HMAC with a guessable secret: algorithm confusion)", async () => {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: "HS256" })
      .setIssuer(DEV_ISSUER)
      .setAudience("verbatim")
      .setSubject("x@example.test")
      .setExpirationTime(now() + 600)
      .sign(new TextEncoder().encode("the public key, or any string"));
    await expect401(token);
  });

  it("refuses a wrong issuer and a wrong audience, even with a valid signature", async () => {
    expect(await expect401(await forged((jwt) => jwt.setIssuer("https://evil.example.test")))).toContain("iss");
    expect(await expect401(await forged((jwt) => jwt.setAudience("another-api")))).toContain("aud");
  });

  it("refuses an expired token with token_expired, within a small leeway", async () => {
    await expect401(await forged((jwt) => jwt.setExpirationTime(now() - 120)), "token_expired");
    // Ten seconds of clock skew are forgiven.
    expect((await withToken(await forged((jwt) => jwt.setExpirationTime(now() - 10)))).status).toBe(200);
  });

  it("refuses a token not valid yet, and one without an expiry", async () => {
    expect(await expect401(await forged((jwt) => jwt.setNotBefore(now() + 300)))).toContain("nbf");
    const { key, kid } = await issuerKey();
    const noExp = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid })
      .setIssuer(DEV_ISSUER)
      .setAudience("verbatim")
      .setSubject("x@example.test")
      .sign(key);
    expect(await expect401(noExp)).toContain("exp");
  });

  it("refuses a token signed by an unknown key, and a tampered one", async () => {
    const { privateKey } = await generateKeyPair("ES256");
    const stranger = await new SignJWT(claims)
      .setProtectedHeader({ alg: "ES256", kid: "someone-else" })
      .setIssuer(DEV_ISSUER)
      .setAudience("verbatim")
      .setSubject("x@example.test")
      .setExpirationTime(now() + 600)
      .sign(privateKey);
    await expect401(stranger);
    const { token } = await signIn("tamper@example.test");
    const [h, p, sig] = token.split(".");
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(p as string)));
    const changed = base64url.encode(
      JSON.stringify({ ...payload, email: "admin@example.test", sub: "admin@example.test" }),
    );
    await expect401(`${h}.${changed}.${sig}`);
  });

  it("refuses an email the issuer does not vouch for, unless told the issuer verifies every email", async () => {
    // Someone registers at a provider with another person's address, unverified: they must not become that person.
    const { key, kid } = await issuerKey();
    const victim = `victim-${Date.now()}@example.test`;
    const { auth } = await createUserWithKey(victim);
    const unverified = (verified?: boolean) =>
      new SignJWT({ email: victim, ...(verified === undefined ? {} : { email_verified: verified }) })
        .setProtectedHeader({ alg: "ES256", kid })
        .setIssuer(DEV_ISSUER)
        .setAudience("verbatim")
        .setSubject(`attacker-${Date.now()}`)
        .setExpirationTime(now() + 600)
        .sign(key);
    expect(await expect401(await unverified())).toContain("email_verified");
    expect(await expect401(await unverified(false))).toContain("email_verified");
    expect((await api("/v1/jobs", { headers: auth })).status).toBe(200);
    expect(await env.DB.prepare("SELECT 1 FROM identities WHERE subject LIKE 'attacker-%'").first()).toBeNull();

    // For an issuer that sends no such claim but verifies every address (Cloudflare Access), it can be switched off.
    const trusting = { ...env, JWT_REQUIRE_EMAIL_VERIFIED: "false" } as unknown as Env;
    const res = await worker.fetch(
      new Request("https://api.test/v1/jobs", { headers: { authorization: `Bearer ${await unverified()}` } }),
      trusting,
      createExecutionContext(),
    );
    expect(res.status).toBe(200);
  });

  it("has no development issuer outside development, and accepts its tokens nowhere else", async () => {
    expect((await api("/dev/jwks.json")).status).toBe(200);
    const doc = (await (await api("/v1/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).some((path) => path.startsWith("/dev/"))).toBe(false);

    const production = {
      ...env,
      ENVIRONMENT: "production",
      WEBHOOK_SECRETS_KEY: btoa("a production key of 32 bytes...."),
    } as unknown as Env;
    const call = (path: string, init: RequestInit = {}) =>
      worker.fetch(new Request(`https://api.test${path}`, init), production, createExecutionContext());
    const signInThere = await call("/dev/sessions", {
      method: "POST",
      body: JSON.stringify({ email: "x@example.test" }),
      headers: { "content-type": "application/json" },
    });
    expect(signInThere.status, await signInThere.clone().text()).toBe(404);
    const keysThere = await call("/dev/jwks.json");
    expect(keysThere.status, await keysThere.clone().text()).toBe(404);
    // A development token means nothing to a production API without a configured issuer.
    const { token } = await signIn("dev-only@example.test");
    const refused = await call("/v1/jobs", { headers: { authorization: `Bearer ${token}` } });
    expect(refused.status).toBe(401);
    expect(Problem.parse(await refused.json()).detail).toContain("not accepted here");
  });
});
