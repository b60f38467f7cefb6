import { signal } from "@preact/signals";
import { problemOf } from "../../../client";
import { problemType } from "../../../contracts/errors";
import { API_URL, ApiError } from "../api/client";
import { endSessionUrl, finishSignIn, OIDC, startSignIn } from "../api/oidc";
import { session, signOut } from "./session";

/**
 * Signing in and out. With an OpenID Connect provider configured (VITE_OIDC_ISSUER and
 * VITE_OIDC_CLIENT_ID at build time) the browser goes to the provider and comes back with an ID
 * token; otherwise through the development issuer (`POST /dev/sessions`, which exists only where
 * ENVIRONMENT=development). Either token is verified by the API the same way.
 */
export const signInError = signal<ApiError | null>(null);
export const signingIn = signal(false);
export const providerSignIn = OIDC ? { host: OIDC.issuer.host } : null;

function failure(err: unknown, title: string, code: "unauthorized" | "not_ready" = "unauthorized"): ApiError {
  if (err instanceof ApiError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new ApiError({ type: problemType(code), code, title, detail, status: 0, request_id: "" });
}

/**
 * One sign-in step, with the busy flag up and the last error cleared while it runs; a failure is
 * shown as `failed` makes it. `staysBusy`: the browser is leaving for the provider's page.
 */
async function step(work: () => Promise<void>, failed: (err: unknown) => ApiError, staysBusy = false): Promise<void> {
  signingIn.value = true;
  signInError.value = null;
  try {
    await work();
    signingIn.value = staysBusy;
  } catch (err) {
    signInError.value = failed(err);
    signingIn.value = false;
  }
}

export function signIn(email: string): Promise<void> {
  return step(
    async () => {
      const res = await fetch(`${API_URL}/dev/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email }),
      });
      if (!res.ok) throw new ApiError(await problemOf(res));
      const { token, expires_at } = (await res.json()) as { token: string; expires_at: string };
      session.value = { token, email: email.toLowerCase(), expires_at };
    },
    (err) => failure(err, "The API could not be reached", "not_ready"),
  );
}

/** Goes to the provider's sign-in; afterwards the app opens where it was (`returnTo`). */
export async function signInWithProvider(returnTo: string): Promise<void> {
  const settings = OIDC;
  if (!settings) return;
  await step(
    () => startSignIn(settings, returnTo),
    (err) => failure(err, "The sign-in provider could not be reached"),
    true,
  );
}

/** At the callback address: finishes the provider's sign-in and puts the app back where it was. */
export async function completeProviderSignIn(callback: URL): Promise<void> {
  const settings = OIDC;
  if (!settings) return;
  await step(
    async () => {
      const { returnTo, ...signedIn } = await finishSignIn(settings, callback);
      // Only a path of this app (never `//host/…`, another origin).
      history.replaceState(null, "", /^\/(?![/\\])/.test(returnTo) ? returnTo : "/");
      session.value = signedIn;
    },
    (err) => {
      history.replaceState(null, "", "/");
      return failure(err, "The provider did not sign you in");
    },
  );
}

/**
 * Signs out here and, when the provider offers it, at the provider too (else its session would
 * sign the next person at this browser straight back in).
 */
export async function signOutEverywhere(): Promise<void> {
  const token = session.value?.token;
  signOut();
  if (!OIDC || !token) return;
  try {
    const url = await endSessionUrl(OIDC, token);
    if (url) location.assign(url);
  } catch {
    // The provider is unreachable: signed out here all the same; its own session ends on its terms.
  }
}
