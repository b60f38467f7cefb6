import * as oauth from "oauth4webapi";

/**
 * Signing in with an OpenID Connect provider (authorization code flow with PKCE, the UI as a
 * public client), through oauth4webapi. Set at build time: VITE_OIDC_ISSUER and
 * VITE_OIDC_CLIENT_ID (VITE_OIDC_SCOPE optional). The API is configured to trust the same
 * provider: JWT_ISSUER = the issuer, JWT_JWKS_URL = its `jwks_uri`, JWT_AUDIENCE = the client id,
 * since the session token sent to the API is the provider's ID token (it names the user's email).
 */
export type OidcSettings = { issuer: URL; clientId: string; scope: string };

export const CALLBACK_PATH = "/auth/callback";

/** What the callback needs to finish the sign-in it started, kept in sessionStorage for this tab. */
type Pending = { state: string; nonce: string; verifier: string; returnTo: string };
const PENDING_KEY = "verbatim.oidc.pending";

export function oidcSettings(env: Record<string, string | undefined>): OidcSettings | null {
  if (!env.VITE_OIDC_ISSUER || !env.VITE_OIDC_CLIENT_ID) return null;
  return {
    issuer: new URL(env.VITE_OIDC_ISSUER),
    clientId: env.VITE_OIDC_CLIENT_ID,
    scope: env.VITE_OIDC_SCOPE || "openid email",
  };
}

export const OIDC = oidcSettings(import.meta.env as Record<string, string | undefined>);

/** Plain http is allowed only for a provider on this machine (a local test provider), never elsewhere. */
export function allowsHttp(issuer: URL): boolean {
  return issuer.protocol === "http:" && ["localhost", "127.0.0.1", "[::1]"].includes(issuer.hostname);
}

function requestOptions(settings: OidcSettings) {
  return allowsHttp(settings.issuer) ? { [oauth.allowInsecureRequests]: true } : {};
}

async function discover(settings: OidcSettings): Promise<oauth.AuthorizationServer> {
  const res = await oauth.discoveryRequest(settings.issuer, { algorithm: "oidc", ...requestOptions(settings) });
  return oauth.processDiscoveryResponse(settings.issuer, res);
}

const redirectUri = () => `${location.origin}${CALLBACK_PATH}`;

/** Sends the browser to the provider's sign-in; it comes back to CALLBACK_PATH, then to `returnTo`. */
export async function startSignIn(settings: OidcSettings, returnTo: string): Promise<void> {
  const as = await discover(settings);
  if (!as.authorization_endpoint) throw new Error("the provider publishes no authorization endpoint");
  const pending: Pending = {
    state: oauth.generateRandomState(),
    nonce: oauth.generateRandomNonce(),
    verifier: oauth.generateRandomCodeVerifier(),
    returnTo,
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(as.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    redirect_uri: redirectUri(),
    response_type: "code",
    scope: settings.scope,
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await oauth.calculatePKCECodeChallenge(pending.verifier),
    code_challenge_method: "S256",
    // The API needs the email, verified, in the ID token itself. Providers that keep scope claims
    // for userinfo when an access token is also issued put them there when asked by name.
    ...(as.claims_parameter_supported
      ? { claims: JSON.stringify({ id_token: { email: null, email_verified: null } }) }
      : {}),
  }).toString();
  location.assign(url);
}

export type ProviderSession = { token: string; email: string; expires_at: string; returnTo: string };

/**
 * Finishes a sign-in at CALLBACK_PATH: checks the state, trades the code (with the PKCE verifier)
 * for tokens, checks the ID token's issuer, audience, nonce and expiry, and returns it as the
 * session token. Throws the provider's error (e.g. `access_denied`) or the check that failed.
 */
export async function finishSignIn(settings: OidcSettings, callback: URL): Promise<ProviderSession> {
  try {
    return await exchange(settings, callback);
  } catch (err) {
    // The provider's own error (`access_denied`, `invalid_grant`…) says more than the library's message.
    if (err instanceof oauth.AuthorizationResponseError || err instanceof oauth.ResponseBodyError) {
      throw new Error(`the provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ""}`);
    }
    throw err;
  }
}

async function exchange(settings: OidcSettings, callback: URL): Promise<ProviderSession> {
  const saved = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (!saved) throw new Error("no sign-in was started in this tab; start again");
  const pending = JSON.parse(saved) as Pending;
  const as = await discover(settings);
  const client: oauth.Client = { client_id: settings.clientId };
  const params = oauth.validateAuthResponse(as, client, callback, pending.state);
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri(),
    pending.verifier,
    requestOptions(settings),
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, res, {
    expectedNonce: pending.nonce,
    requireIdToken: true,
  });
  const claims = oauth.getValidatedIdTokenClaims(result);
  if (!result.id_token || !claims) throw new Error("the provider returned no ID token");
  if (typeof claims.email !== "string") {
    throw new Error(`the provider's ID token names no email; ask for the "email" scope (asked: ${settings.scope})`);
  }
  return {
    token: result.id_token,
    email: claims.email.toLowerCase(),
    expires_at: new Date(claims.exp * 1000).toISOString(),
    returnTo: pending.returnTo,
  };
}

/** Where to send the browser to end the provider's session too, when it offers that (RP-initiated logout). */
export async function endSessionUrl(settings: OidcSettings, idToken: string): Promise<URL | null> {
  const as = await discover(settings);
  if (!as.end_session_endpoint) return null;
  const url = new URL(as.end_session_endpoint);
  url.search = new URLSearchParams({
    client_id: settings.clientId,
    id_token_hint: idToken,
    post_logout_redirect_uri: `${location.origin}/`,
  }).toString();
  return url;
}
