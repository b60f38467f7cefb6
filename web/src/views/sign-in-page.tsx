import { useSignal } from "@preact/signals";
import { signIn, signInError, signingIn } from "../state/sign-in";
import { ErrorNotice } from "./components/error-notice";
import { usePageTitle } from "./components/page-title";

/** Sign-in through the development issuer (local stack); the session is kept across reloads. */
export function SignInPage() {
  usePageTitle("Sign in");
  const email = useSignal("");
  return (
    <main id="main" class="sign-in">
      <form
        class="card stack"
        style={{ maxWidth: "26rem", margin: "10vh auto" }}
        onSubmit={(e) => {
          e.preventDefault();
          void signIn(email.value.trim());
        }}
      >
        <h1>Sign in to Verbatim</h1>
        <p class="muted">Text from documents, images, audio and video.</p>
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
        {signInError.value && <ErrorNotice error={signInError.value} title="Could not sign in" />}
      </form>
    </main>
  );
}
