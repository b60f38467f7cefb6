import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startOidcProvider } from "../support/oidc-provider";
import { launchChromium, startStaticSite } from "./browser";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * Signing in to the web UI with an OpenID Connect provider, as in production: the UI built with
 * VITE_OIDC_ISSUER/VITE_OIDC_CLIENT_ID (authorization code + PKCE), the API trusting the provider
 * (JWT_ISSUER, JWT_JWKS_URL, JWT_AUDIENCE = the client id). The provider is a real one
 * (test/support/oidc-provider.ts).
 */
const CLIENT_ID = "verbatim-web";
const EMAIL = "Oidc.User@example.test";

let idp: Awaited<ReturnType<typeof startOidcProvider>>;
let issuer = "";
let site: Awaited<ReturnType<typeof startStaticSite>>;
let stack: E2eStack;
let browser: Browser;
let page: Page;
/** Console errors and uncaught exceptions of the UI's own pages (the provider's pages ask for a web font). */
const problems: string[] = [];
const bearers: string[] = [];

beforeAll(async () => {
  site = await startStaticSite();
  idp = await startOidcProvider(CLIENT_ID, site.origin);
  issuer = idp.issuer;

  stack = await startE2eStack({
    vars: {
      JWT_ISSUER: issuer,
      JWT_JWKS_URL: idp.jwksUrl,
      JWT_AUDIENCE: CLIENT_ID,
      CORS_ORIGINS: site.origin,
    },
  });
  site.build({ VITE_API_URL: stack.url, VITE_OIDC_ISSUER: issuer, VITE_OIDC_CLIENT_ID: CLIENT_ID });
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
  page.on("console", (m) => {
    if (m.type() === "error" && m.location().url.startsWith(site.origin)) problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("request", (r) => {
    if (r.url().startsWith(`${stack.url}/v1/`)) bearers.push(r.headers().authorization ?? "");
  });
});
afterAll(async () => {
  await browser?.close();
  stack?.stop();
  site?.stop();
  idp?.close();
});

const signInAtProvider = (login: string) => idp.signIn(page, login);

describe("signing in with an OpenID Connect provider", () => {
  it("goes to the provider and back to the page that was asked for, with the provider's ID token as the session", async () => {
    await page.goto(`${site.origin}/jobs?status=failed`);
    const host = new URL(issuer).host;
    await page.getByRole("button", { name: `Sign in with ${host}` }).click();
    await signInAtProvider(EMAIL);
    await page.getByRole("heading", { name: "History" }).waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe("/jobs?status=failed");
    await expect.poll(() => page.getByText(EMAIL.toLowerCase()).count()).toBeGreaterThan(0);

    // The API was called with the provider's ID token, which it verified against the provider's keys.
    const bearer = bearers.findLast((b) => b.startsWith("Bearer ")) ?? "";
    const token = bearer.slice("Bearer ".length);
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());
    expect(claims).toMatchObject({ iss: issuer, aud: CLIENT_ID, email: EMAIL });
    const usage = await fetch(`${stack.url}/v1/usage`, { headers: { authorization: bearer } });
    expect(usage.status).toBe(200);

    // This API trusts the provider only: the development issuer's tokens are refused.
    const dev = await fetch(`${stack.url}/dev/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "someone@example.test" }),
    });
    const devToken = ((await dev.json()) as { token: string }).token;
    const refused = await fetch(`${stack.url}/v1/usage`, { headers: { authorization: `Bearer ${devToken}` } });
    expect(refused.status).toBe(401);
  });

  it("keeps the session across a reload", async () => {
    await page.reload();
    await page.getByRole("heading", { name: "History" }).waitFor();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    // Back at the callback address once signed in (the back button): the app moves on to uploads.
    await page.goto(`${site.origin}/auth/callback?code=used&state=used`);
    await page.getByRole("heading", { name: "Upload" }).waitFor();
    expect(new URL(page.url()).pathname).toBe("/");
  });

  it("signs out here and at the provider, so the next sign-in asks for a login again", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${issuer}/**`);
    await page.getByRole("button", { name: "Yes, sign me out" }).click();
    await page.waitForURL(`${site.origin}/`);
    await page.getByRole("button", { name: /^Sign in with / }).click();
    await page.waitForURL(`${issuer}/**`);
    await page.locator('input[name="login"]').waitFor();
  });

  it("refuses a callback it did not start, and one whose state does not match, and says why", async () => {
    const other = await (await browser.newContext()).newPage();
    await other.goto(`${site.origin}/auth/callback?code=forged&state=forged&iss=${encodeURIComponent(issuer)}`);
    await other.getByRole("alert").waitFor();
    expect(await other.getByRole("alert").textContent()).toMatch(/no sign-in was started in this tab/);
    expect(new URL(other.url()).pathname).toBe("/");
    await other.getByRole("button", { name: /^Sign in with / }).waitFor();
    await other.context().close();

    // A sign-in was started in this tab (the last test went to the provider), but not with this state.
    await page.goto(`${site.origin}/auth/callback?code=forged&state=forged&iss=${encodeURIComponent(issuer)}`);
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/"state"/);
  });

  it("shows the provider's refusal", async () => {
    await page.getByRole("button", { name: /^Sign in with / }).click();
    await page.waitForURL(`${issuer}/**`);
    // The user cancels at the provider, which sends them back with error=access_denied.
    await page.getByRole("link", { name: "[ Cancel ]" }).click();
    await page.getByRole("alert").waitFor();
    expect(await page.getByRole("alert").textContent()).toMatch(/access_denied/);
  });

  it("logged no console errors under the build's CSP", () => {
    expect(problems).toEqual([]);
  });
});
