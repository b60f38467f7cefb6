import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Problem } from "../contracts";
import { loadConfig } from "./config";
import { createUserWithKey } from "./test/helpers";

/** The worker tests allow one origin (CORS_ORIGINS in vitest.config.ts). */
const ALLOWED = "https://app.example.test";
const OTHER = "https://evil.example.test";

const preflight = (origin: string) =>
  SELF.fetch("https://api.test/v1/jobs", {
    method: "OPTIONS",
    headers: {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, idempotency-key",
    },
  });

const corsHeaders = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));

describe("CORS", () => {
  it("answers a preflight from an allowed origin, without credentials", async () => {
    const res = await preflight(ALLOWED);
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toContain("idempotency-key");
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toContain("Origin");
  });

  it("lets an allowed origin read answers and errors, and the headers it needs", async () => {
    const { auth } = await createUserWithKey();
    const ok = await SELF.fetch("https://api.test/v1/jobs", { headers: { ...auth, origin: ALLOWED } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(ok.headers.get("access-control-expose-headers")).toContain("x-request-id");
    // A failed call's problem (and its request id) must reach the page too.
    const refused = await SELF.fetch("https://api.test/v1/jobs", { headers: { origin: ALLOWED } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  it("gives any other origin no CORS headers at all, and refuses its preflight", async () => {
    const { auth } = await createUserWithKey();
    const res = await SELF.fetch("https://api.test/v1/jobs", { headers: { ...auth, origin: OTHER } });
    expect(corsHeaders(res)).toEqual([]);
    const pre = await preflight(OTHER);
    expect(pre.status).toBe(403);
    expect(corsHeaders(pre)).toEqual([]);
    expect(Problem.parse(await pre.json()).code).toBe("forbidden");
  });

  it("refuses wildcards and paths in the allowlist, and plain http in production", () => {
    const withOrigins = (CORS_ORIGINS: string, ENVIRONMENT = "development") =>
      loadConfig({ ...env, CORS_ORIGINS, ENVIRONMENT } as unknown as Env);
    for (const bad of ["*", "https://app.example.test/", "https://*.example.test", "app.example.test"]) {
      expect(() => withOrigins(bad), bad).toThrow(/CORS_ORIGINS/);
    }
    expect(withOrigins("https://a.test, http://localhost:5173").CORS_ORIGINS).toEqual([
      "https://a.test",
      "http://localhost:5173",
    ]);
    expect(() => withOrigins("http://a.test", "production")).toThrow(/https origins in production/);
  });
});
