import createClient, { type Middleware } from "openapi-fetch";
import { ApiError, type Job, type Problem, type paths, problemOf } from "../../../client";
import { session } from "../state/session";

export { unwrap } from "./unwrap";
/**
 * The one API client of the UI: typed from the worker's OpenAPI document (client/schema.d.ts), the
 * session's token added to every request. Every failed call throws an `ApiError` carrying the
 * API's problem: its stable code and the request id that support can find in the logs.
 */
export { ApiError, type Job, type Problem };

/** Where the API is: the page's own origin, unless the build names another (UI on Pages). */
export const API_URL = (import.meta.env.VITE_API_URL as string | undefined)?.replace(/\/$/, "") || location.origin;

const authorize: Middleware = {
  onRequest({ request }) {
    const token = session.value?.token;
    if (token) request.headers.set("authorization", `Bearer ${token}`);
    return request;
  },
  async onResponse({ response }) {
    if (response.status === 401) {
      const problem = (await response
        .clone()
        .json()
        .catch(() => null)) as Problem | null;
      // The token ran out or was refused: back to sign-in (what the user was doing is kept in the URL).
      if (problem?.code === "token_expired" || problem?.code === "unauthorized") session.value = null;
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: API_URL });
api.use(authorize);

/** The headers an authenticated raw request (download, upload part) carries. */
export function authHeaders(): Record<string, string> {
  const token = session.value?.token;
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** A raw authenticated fetch on the API (bodies openapi-fetch does not model: files, results). */
export async function apiFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(`${API_URL}${path}`, { ...init, headers: { ...authHeaders(), ...init.headers } });
  if (!res.ok) throw new ApiError(await problemOf(res));
  return res;
}
