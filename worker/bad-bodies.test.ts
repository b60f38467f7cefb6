import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Problem } from "../contracts";
import { createUserWithKey } from "./test/helpers";

/** Bodies a client gets wrong are the client's error (4xx with a code), never a 500. */
describe("request bodies the API cannot read", () => {
  it.each([
    ["/v1/keys", "application/json", "{nope", 400, "invalid_json"],
    ["/v1/webhooks", "application/json", '{"url": "https://example.com",', 400, "invalid_json"],
    ["/v1/uploads", "application/json", "{nope", 400, "invalid_json"],
    ["/dev/sessions", "application/json", "{nope", 400, "invalid_json"],
    ["/v1/keys", "text/plain", '{"name":"x"}', 415, "unsupported_content_type"],
    ["/v1/keys", null, '{"name":"x"}', 415, "unsupported_content_type"],
    ["/v1/uploads", "application/x-www-form-urlencoded", "file_name=a.pdf", 415, "unsupported_content_type"],
  ])("POST %s as %s: %s → %i %s", async (path, type, body, status, code) => {
    const { auth } = await createUserWithKey();
    const res = await SELF.fetch(`https://api.test${path}`, {
      method: "POST",
      body,
      headers: { ...auth, ...(type ? { "content-type": type } : {}) },
    });
    expect(res.status).toBe(status);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = Problem.parse(await res.json());
    expect(problem).toMatchObject({ status, code });
    expect(problem.request_id).toBe(res.headers.get("x-request-id"));
  });
});
