import { Problem } from "../contracts";

/**
 * What operator commands share: where the API is (VERBATIM_URL, default http://127.0.0.1:8787),
 * an admin's key (VERBATIM_API_KEY), and exit codes scripts can use: 0 done, 1 the API refused or
 * failed, 2 bad usage.
 */
export function fail(code: 1 | 2, message: string): never {
  console.error(message);
  process.exit(code);
}

export function adminApi() {
  const base = process.env.VERBATIM_URL ?? "http://127.0.0.1:8787";
  const key = process.env.VERBATIM_API_KEY;
  if (!key) fail(2, "set VERBATIM_API_KEY to an admin's API key (npm run keys:create -- --email … --admin)");
  const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
  return async function call(path: string, init: RequestInit = {}): Promise<unknown> {
    const res = await fetch(`${base}${path}`, { ...init, headers });
    const body = await res.json().catch(() => null);
    if (!res.ok) {
      const problem = Problem.safeParse(body);
      fail(
        1,
        problem.success ? `${problem.data.code}: ${problem.data.detail ?? problem.data.title}` : `HTTP ${res.status}`,
      );
    }
    return body;
  };
}
