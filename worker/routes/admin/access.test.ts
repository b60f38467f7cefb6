import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CreatedApiKey, Problem } from "../../../contracts";
import { createUserWithKey } from "../../test/helpers";

/** Every admin operation in the OpenAPI document, its path parameters filled in. */
async function adminOperations(): Promise<{ method: string; path: string }[]> {
  const document = (await (await SELF.fetch("https://api.test/v1/openapi.json")).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths)
    .filter(([path]) => path.startsWith("/v1/admin"))
    .flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => ({
        method: method.toUpperCase(),
        path: path.replace("{user_id}", "usr_01JD0000000000000000000000").replace("{name}", "fan_out"),
      })),
    );
}

const call = (auth: Record<string, string>, { method, path }: { method: string; path: string }) =>
  SELF.fetch(`https://api.test${path}`, {
    method,
    headers: { ...auth, "content-type": "application/json" },
    ...(method === "GET" ? {} : { body: "{}" }),
  });

describe("admin routes", () => {
  it("each needs the admin role and the admin scope, declared on the route itself", async () => {
    const operations = await adminOperations();
    expect(operations.length).toBeGreaterThanOrEqual(10);
    const user = await createUserWithKey();
    const admin = await createUserWithKey(undefined, "admin");
    // An admin's key limited to reading jobs: it may not administer.
    const res = await SELF.fetch("https://api.test/v1/keys", {
      method: "POST",
      body: JSON.stringify({ name: "reader", scopes: ["jobs:read"] }),
      headers: { ...admin.auth, "content-type": "application/json" },
    });
    const reader = CreatedApiKey.parse(await res.json());
    for (const operation of operations) {
      for (const [who, auth] of [
        ["a user's key", user.auth],
        ["an admin's jobs:read key", { authorization: `Bearer ${reader.key}` }],
      ] as const) {
        const refused = await call(auth, operation);
        expect(refused.status, `${operation.method} ${operation.path} with ${who}`).toBe(403);
        expect(Problem.parse(await refused.json()).code).toBe("forbidden");
      }
      // The admin's full key gets past the guard (whatever the route then says of the empty body).
      expect((await call(admin.auth, operation)).status, `${operation.method} ${operation.path}`).not.toBe(403);
    }
  });

  it("an admin's session-made or default key carries the admin scope; a user cannot get it", async () => {
    const admin = await createUserWithKey(undefined, "admin");
    const created = await SELF.fetch("https://api.test/v1/keys", {
      method: "POST",
      body: JSON.stringify({ name: "ops" }),
      headers: { ...admin.auth, "content-type": "application/json" },
    });
    expect(CreatedApiKey.parse(await created.json()).scopes).toContain("admin");
    const user = await createUserWithKey();
    const refused = await SELF.fetch("https://api.test/v1/keys", {
      method: "POST",
      body: JSON.stringify({ name: "sneaky", scopes: ["admin"] }),
      headers: { ...user.auth, "content-type": "application/json" },
    });
    expect(refused.status).toBe(403);
    expect(Problem.parse(await refused.json()).code).toBe("scope_not_held");
  });

  it("GET /v1/flags needs the jobs:read scope", async () => {
    const { auth } = await createUserWithKey();
    const res = await SELF.fetch("https://api.test/v1/keys", {
      method: "POST",
      body: JSON.stringify({ name: "keys only", scopes: ["keys:manage"] }),
      headers: { ...auth, "content-type": "application/json" },
    });
    const keysOnly = CreatedApiKey.parse(await res.json());
    expect(
      (await SELF.fetch("https://api.test/v1/flags", { headers: { authorization: `Bearer ${keysOnly.key}` } })).status,
    ).toBe(403);
    expect((await SELF.fetch("https://api.test/v1/flags", { headers: auth })).status).toBe(200);
  });
});
