import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair } from "jose";
import Provider from "oidc-provider";
import type { Page } from "playwright-core";

/**
 * A real OpenID Connect provider on this machine for the sign-in tests: `oidc-provider`
 * (node-oidc-provider) with its development login screens, one public client (authorization code
 * + PKCE) whose web UI is at `uiOrigin`. The login typed at its screen is the account's email.
 */
export async function startOidcProvider(clientId: string, uiOrigin: string) {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = await generateKeyPair("RS256", { extractable: true });
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code"],
        response_types: ["code"],
        redirect_uris: [`${uiOrigin}/auth/callback`],
        post_logout_redirect_uris: [`${uiOrigin}/`],
      },
    ],
    jwks: { keys: [{ ...(await exportJWK(privateKey)), kid: "test-rs256", alg: "RS256", use: "sig" }] },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    findAccount: async (_ctx, sub) => ({
      accountId: sub,
      claims: async () => ({ sub, email: sub, email_verified: true }),
    }),
    // As many providers do, claims of scopes go to userinfo unless asked for in the ID token by name.
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      claimsParameter: { enabled: true },
    },
    cookies: { keys: ["verbatim-e2e-cookie-key"] },
  });
  server.on("request", provider.callback());
  return {
    issuer,
    /** Where its signing keys are published (its discovery document's `jwks_uri`). */
    jwksUrl: `${issuer}/jwks`,
    /** At the provider's development screens: any login and password, then consent. */
    signIn: async (page: Page, login: string) => {
      await page.waitForURL(`${issuer}/**`);
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill("any password");
      await page.getByRole("button", { name: "Sign-in" }).click();
      await page.getByRole("button", { name: "Continue" }).click();
    },
    close: () => server.close(),
  };
}
