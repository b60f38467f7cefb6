import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ApiKeyInfo, ApiKeyList, CreatedApiKey, Problem, SCOPES, scopesOfRole } from "../../contracts";
import { isWellFormedApiKey } from "../lib/api-key";
import { createUserWithKey, TINY_PNG, uploadForm } from "../test/helpers";

const api = (path: string, auth: Record<string, string>, init: RequestInit = {}) =>
  SELF.fetch(`https://api.test${path}`, { ...init, headers: { ...auth, ...(init.headers ?? {}) } });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function createKey(auth: Record<string, string>, body: unknown) {
  return api("/v1/keys", auth, {
    method: "POST",
    body: JSON.stringify(body),
    headers: { "content-type": "application/json" },
  });
}

describe("API keys", () => {
  it("creates a key shown once, with a recognizable prefix and a checksum, stored only as a hash", async () => {
    const { auth } = await createUserWithKey();
    const res = await createKey(auth, { name: "laptop" });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = CreatedApiKey.parse(await res.json());
    expect(created).toMatchObject({
      name: "laptop",
      scopes: scopesOfRole("user"),
      last_used_at: null,
      revoked_at: null,
    });
    expect(created.key).toMatch(/^vb_[0-9A-Za-z]{38}$/);
    expect(created.key.startsWith(created.prefix)).toBe(true);
    expect(await isWellFormedApiKey(created.key)).toBe(true);
    // One changed character breaks the checksum.
    const last = created.key.at(-1) === "a" ? "b" : "a";
    expect(await isWellFormedApiKey(`${created.key.slice(0, -1)}${last}`)).toBe(false);
    const stored = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?").bind(created.id).first();
    expect(JSON.stringify(stored)).not.toContain(created.key);

    // It works, and its list entry never shows it again.
    expect((await api("/v1/jobs", bearer(created.key))).status).toBe(200);
    const list = ApiKeyList.parse(await (await api("/v1/keys", auth)).json());
    expect(list.data.map((k) => k.id)).toContain(created.id);
    expect(JSON.stringify(list)).not.toContain(created.key);
  });

  it("records when a key was last used", async () => {
    const { auth } = await createUserWithKey();
    const created = CreatedApiKey.parse(await (await createKey(auth, { name: "ci" })).json());
    await api("/v1/jobs", bearer(created.key));
    await expect
      .poll(
        async () =>
          ApiKeyList.parse(await (await api("/v1/keys", auth)).json()).data.find((k) => k.id === created.id)
            ?.last_used_at,
      )
      .not.toBeNull();
  });

  it("refuses a revoked key at once; revoking again is harmless", async () => {
    const { auth } = await createUserWithKey();
    const created = CreatedApiKey.parse(await (await createKey(auth, { name: "old" })).json());
    expect((await api("/v1/jobs", bearer(created.key))).status).toBe(200);
    const revoked = await api(`/v1/keys/${created.id}`, auth, { method: "DELETE" });
    expect(revoked.status).toBe(200);
    expect(ApiKeyInfo.parse(await revoked.json()).revoked_at).not.toBeNull();
    const refused = await api("/v1/jobs", bearer(created.key));
    expect(refused.status).toBe(401);
    expect(Problem.parse(await refused.json()).code).toBe("unauthorized");
    expect((await api(`/v1/keys/${created.id}`, auth, { method: "DELETE" })).status).toBe(200);
  });

  it("refuses strings that are not keys before looking them up, and bad requests with their problem", async () => {
    const { auth } = await createUserWithKey();
    for (const key of ["vb_short", `vb_${"A".repeat(38)}`, "sk_live_something"]) {
      const res = await api("/v1/jobs", bearer(key));
      expect(res.status).toBe(401);
      expect(Problem.parse(await res.json()).detail).toContain("format or checksum");
    }
    expect((await createKey(auth, { name: "" })).status).toBe(422);
    expect((await createKey(auth, { name: "x", scopes: ["jobs:delete"] })).status).toBe(422);
    expect((await createKey(auth, { name: "x", scopes: [] })).status).toBe(422);
  });

  it("enforces scopes on every route: a read-only key reads, and may not write or manage keys", async () => {
    const { auth } = await createUserWithKey();
    const job = (await (
      await api("/v1/jobs", auth, { method: "POST", body: uploadForm(TINY_PNG, "a.png") })
    ).json()) as { id: string };
    const reader = CreatedApiKey.parse(await (await createKey(auth, { name: "reader", scopes: ["jobs:read"] })).json());
    expect(reader.scopes).toEqual(["jobs:read"]);
    const as = bearer(reader.key);
    expect((await api("/v1/jobs", as)).status).toBe(200);
    expect((await api(`/v1/jobs/${job.id}`, as)).status).toBe(200);
    expect((await api(`/v1/jobs/${job.id}/events/ticket`, as, { method: "POST" })).status).toBe(200);
    for (const [path, method] of [
      ["/v1/jobs", "POST"],
      [`/v1/jobs/${job.id}/cancel`, "POST"],
      ["/v1/keys", "GET"],
      ["/v1/keys", "POST"],
    ] as const) {
      const res = await api(path, as, {
        method,
        ...(path === "/v1/jobs" ? { body: uploadForm(TINY_PNG, "b.png") } : {}),
      });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(Problem.parse(await res.json()).detail).toMatch(/lacks the (jobs:write|keys:manage) scope/);
    }
    // A key for key management only cannot touch jobs.
    const manager = CreatedApiKey.parse(await (await createKey(auth, { name: "m", scopes: ["keys:manage"] })).json());
    expect((await api("/v1/jobs", bearer(manager.key))).status).toBe(403);
    expect((await api("/v1/keys", bearer(manager.key))).status).toBe(200);
  });

  it("lets a key grant only scopes it holds: no key for jobs from a key-management key", async () => {
    const { auth } = await createUserWithKey();
    const manager = CreatedApiKey.parse(await (await createKey(auth, { name: "m", scopes: ["keys:manage"] })).json());
    const refused = await createKey(bearer(manager.key), { name: "escalated", scopes: [...SCOPES] });
    expect(refused.status).toBe(403);
    const problem = Problem.parse(await refused.json());
    expect(problem.code).toBe("scope_not_held");
    expect(problem.detail).toContain("jobs:write");
    // Left to the default, a new key gets the creating key's scopes, no more.
    const child = CreatedApiKey.parse(await (await createKey(bearer(manager.key), { name: "child" })).json());
    expect(child.scopes).toEqual(["keys:manage"]);
    expect((await api("/v1/jobs", bearer(child.key))).status).toBe(403);
    const listed = ApiKeyList.parse(await (await api("/v1/keys", bearer(manager.key))).json());
    expect(listed.data.map((key) => key.name)).not.toContain("escalated");
  });
});
