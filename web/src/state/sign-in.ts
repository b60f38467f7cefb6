import { signal } from "@preact/signals";
import { problemOf } from "../../../client";
import { API_URL, ApiError } from "../api/client";
import { session } from "./session";

/**
 * Signing in through the development issuer (`POST /dev/sessions`, which exists only where
 * ENVIRONMENT=development): the token it gives is verified by the API exactly as a production
 * issuer's would be.
 */
export const signInError = signal<ApiError | null>(null);
export const signingIn = signal(false);

export async function signIn(email: string): Promise<void> {
  signingIn.value = true;
  signInError.value = null;
  try {
    const res = await fetch(`${API_URL}/dev/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email }),
    });
    if (!res.ok) throw new ApiError(await problemOf(res));
    const { token, expires_at } = (await res.json()) as { token: string; expires_at: string };
    session.value = { token, email: email.toLowerCase(), expires_at };
  } catch (err) {
    signInError.value =
      err instanceof ApiError
        ? err
        : new ApiError({ code: "not_ready", title: "The API could not be reached", status: 0, request_id: "" });
  } finally {
    signingIn.value = false;
  }
}
