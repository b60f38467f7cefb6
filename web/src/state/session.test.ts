import { describe, expect, it } from "vitest";
import { clearOnSignOut, session, signOut, USER_STORAGE_PREFIX } from "./session";

describe("the session", () => {
  it("is kept across reloads, and signing out clears the user's stores and storage but not the theme", () => {
    session.value = { token: "t", email: "a@example.test", expires_at: new Date(Date.now() + 60_000).toISOString() };
    expect(JSON.parse(localStorage.getItem("verbatim.session") ?? "null")?.email).toBe("a@example.test");
    localStorage.setItem(`${USER_STORAGE_PREFIX}upload:scan.pdf:1:2`, "upl_1");
    localStorage.setItem("verbatim.theme", "dark");
    let cleared = 0;
    clearOnSignOut(() => cleared++);
    expect(cleared).toBe(0);

    signOut();
    expect(cleared).toBe(1);
    expect(localStorage.getItem("verbatim.session")).toBeNull();
    expect(localStorage.getItem(`${USER_STORAGE_PREFIX}upload:scan.pdf:1:2`)).toBeNull();
    expect(localStorage.getItem("verbatim.theme")).toBe("dark");
  });
});
