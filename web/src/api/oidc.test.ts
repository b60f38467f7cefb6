import { describe, expect, it } from "vitest";
import { allowsHttp, oidcSettings } from "./oidc";

describe("sign-in provider settings", () => {
  it("are off unless both the issuer and the client id are set, and ask for the email by default", () => {
    expect(oidcSettings({})).toBeNull();
    expect(oidcSettings({ VITE_OIDC_ISSUER: "https://id.example.test" })).toBeNull();
    expect(oidcSettings({ VITE_OIDC_CLIENT_ID: "web" })).toBeNull();
    const settings = oidcSettings({ VITE_OIDC_ISSUER: "https://id.example.test/realms/a", VITE_OIDC_CLIENT_ID: "web" });
    expect(settings).toEqual({
      issuer: new URL("https://id.example.test/realms/a"),
      clientId: "web",
      scope: "openid email",
    });
    expect(
      oidcSettings({
        VITE_OIDC_ISSUER: "https://id.example.test",
        VITE_OIDC_CLIENT_ID: "web",
        VITE_OIDC_SCOPE: "openid email profile",
      })?.scope,
    ).toBe("openid email profile");
  });

  it("allow plain http only for a provider on this machine", () => {
    expect(allowsHttp(new URL("http://127.0.0.1:9000"))).toBe(true);
    expect(allowsHttp(new URL("http://localhost:9000"))).toBe(true);
    expect(allowsHttp(new URL("http://[::1]:9000"))).toBe(true);
    expect(allowsHttp(new URL("http://id.example.test"))).toBe(false);
    expect(allowsHttp(new URL("http://127.0.0.1.example.test"))).toBe(false);
    expect(allowsHttp(new URL("https://id.example.test"))).toBe(false);
  });
});
