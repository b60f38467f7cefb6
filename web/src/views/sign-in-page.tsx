import { useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { CALLBACK_PATH } from "../api/oidc";
import {
  completeProviderSignIn,
  providerSignIn,
  signIn,
  signInError,
  signInWithProvider,
  signingIn,
} from "../state/sign-in";
import { ErrorNotice } from "./components/error-notice";
import { usePageTitle } from "./components/page-title";

/**
 * Sign-in: with the configured OpenID Connect provider, or (local stack) with the development
 * issuer. The session is kept across reloads.
 */
export function SignInPage() {
  usePageTitle("Sign in");
  return (
    <main id="main" class="sign-in">
      <div class="card stack" style={{ maxWidth: "26rem", margin: "10vh auto" }}>
        <h1>Sign in to Verbatim</h1>
        <p class="muted">Text from documents, images, audio and video.</p>
        {providerSignIn ? <ProviderSignIn host={providerSignIn.host} /> : <DevelopmentSignIn />}
        {signInError.value && <ErrorNotice error={signInError.value} title="Could not sign in" />}
      </div>
    </main>
  );
}

function ProviderSignIn({ host }: { host: string }) {
  const atCallback = location.pathname === CALLBACK_PATH;
  useEffect(() => {
    if (atCallback) void completeProviderSignIn(new URL(location.href));
  }, [atCallback]);
  if (atCallback) return <p aria-live="polite">Signing in…</p>;
  return (
    <>
      <button
        class="primary"
        type="button"
        disabled={signingIn.value}
        onClick={() => void signInWithProvider(location.pathname + location.search)}
      >
        {signingIn.value ? "Signing in…" : `Sign in with ${host}`}
      </button>
      <p class="small muted">You will be sent to your organization's sign-in page and brought back here.</p>
    </>
  );
}

function DevelopmentSignIn() {
  const email = useSignal("");
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void signIn(email.value.trim());
      }}
    >
      <div class="field">
        <label for="email">Email</label>
        <input
          id="email"
          type="email"
          required
          autocomplete="email"
          value={email.value}
          onInput={(e) => (email.value = e.currentTarget.value)}
        />
      </div>
      <button class="primary" type="submit" disabled={signingIn.value}>
        {signingIn.value ? "Signing in…" : "Sign in"}
      </button>
      <p class="small muted">
        This stack signs you in with its development issuer: any address works, and the session token is verified as a
        production issuer's would be.
      </p>
    </form>
  );
}
