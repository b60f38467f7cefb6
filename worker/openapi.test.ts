import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import committed from "../client/openapi.json";
import { createUserWithKey } from "./test/helpers";

type Operation = { operationId: string; responses: Record<string, unknown> };

/** Every operation of the committed document, with a path whose parameters are filled in. */
const operations = Object.entries(committed.paths as Record<string, Record<string, Operation>>).flatMap(
  ([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({
      method: method.toUpperCase(),
      // A job id for {id} lets the events socket reach its own authentication; the other routes
      // authenticate before they look at their parameters.
      url: `https://api.test${path.replace("{id}", "job_01JD0000000000000000000000").replace(/\{[^}]+\}/g, "1")}`,
      ...operation,
    })),
);

/** The request a client would send, with `headers`; the events socket only answers an upgrade. */
const send = (op: (typeof operations)[number], headers: Record<string, string>) =>
  SELF.fetch(op.url, {
    method: op.method,
    headers: op.operationId === "streamJobEvents" ? { ...headers, upgrade: "websocket" } : headers,
  });

describe("the OpenAPI document", () => {
  it("is the one the typed client is generated from (else run `npm run openapi:export`)", async () => {
    const served = await (await SELF.fetch("https://api.test/v1/openapi.json")).json();
    expect(served).toEqual(committed);
  });

  it("gives every operation an operationId of its own", () => {
    const ids = operations.map((op) => op.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("declares 401 on exactly the operations that answer 401 without credentials", async () => {
    for (const op of operations) {
      const res = await send(op, {});
      const documented = "401" in op.responses;
      expect({ op: op.operationId, unauthorized: res.status === 401 }).toEqual({
        op: op.operationId,
        unauthorized: documented,
      });
      if (documented) {
        expect(res.headers.get("content-type")).toBe("application/problem+json");
        // The challenge it sends is declared with the answer.
        expect(res.headers.get("www-authenticate")).toMatch(/^Bearer realm="verbatim"/);
        expect(Object.keys((op.responses["401"] as { headers?: object }).headers ?? {})).toEqual(["WWW-Authenticate"]);
      }
      await res.body?.cancel();
    }
  });

  it("declares the problem+json answer for a fault on our side on every operation behind authentication", () => {
    for (const op of operations.filter((o) => "401" in o.responses)) {
      expect({ op: op.operationId, declared: "default" in op.responses }).toEqual({
        op: op.operationId,
        declared: true,
      });
    }
  });

  it("declares Retry-After on every 429", () => {
    for (const op of operations.filter((o) => "429" in o.responses)) {
      expect({
        op: op.operationId,
        headers: Object.keys((op.responses["429"] as { headers?: object }).headers ?? {}),
      }).toEqual({
        op: op.operationId,
        headers: ["Retry-After"],
      });
    }
  });

  it("declares 403 on exactly the operations a key without scopes is refused", async () => {
    const { userId, auth } = await createUserWithKey();
    await env.DB.prepare("UPDATE api_keys SET scopes = '[]' WHERE user_id = ?").bind(userId).run();
    for (const op of operations) {
      const res = await send(op, auth);
      const documented = "403" in op.responses;
      expect({ op: op.operationId, forbidden: res.status === 403 }).toEqual({
        op: op.operationId,
        forbidden: documented,
      });
      await res.body?.cancel();
    }
  });
});
