import { effect, signal } from "@preact/signals";

/**
 * Who is signed in: a session token (a JWT from the configured issuer; locally the development
 * issuer) kept in localStorage, so a reload keeps the session. Cleared on sign-out and when the API
 * answers that the token expired.
 */
export type Session = { token: string; email: string; expires_at: string };

const STORAGE_KEY = "verbatim.session";

function restore(): Session | null {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Session | null;
    return saved && Date.parse(saved.expires_at) > Date.now() ? saved : null;
  } catch {
    return null;
  }
}

export const session = signal<Session | null>(restore());

effect(() => {
  if (session.value) localStorage.setItem(STORAGE_KEY, JSON.stringify(session.value));
  else localStorage.removeItem(STORAGE_KEY);
});

export function signOut(): void {
  session.value = null;
}
