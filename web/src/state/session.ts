import { effect, signal } from "@preact/signals";

/**
 * Who is signed in: a session token (a JWT from the configured issuer; locally the development
 * issuer) kept in localStorage, so a reload keeps the session. Cleared on sign-out and when the API
 * answers that the token expired.
 */
export type Session = { token: string; email: string; expires_at: string };

const STORAGE_KEY = "verbatim.session";
/** localStorage keys under this prefix belong to the signed-in user and go with the session. */
export const USER_STORAGE_PREFIX = "verbatim.user.";

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
  if (session.value) {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(session.value));
    return;
  }
  localStorage.removeItem(STORAGE_KEY);
  const keys = Array.from({ length: localStorage.length }, (_, i) => localStorage.key(i) ?? "");
  for (const key of keys) if (key.startsWith(USER_STORAGE_PREFIX)) localStorage.removeItem(key);
});

/** Runs `reset` whenever nobody is signed in: stores of the user's data start empty for the next one. */
export function clearOnSignOut(reset: () => void): void {
  effect(() => {
    if (!session.value) reset();
  });
}

export function signOut(): void {
  session.value = null;
}
