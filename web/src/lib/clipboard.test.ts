import { afterEach, describe, expect, it, vi } from "vitest";
import { copyText } from "./clipboard";

afterEach(() => vi.unstubAllGlobals());

describe("copyText", () => {
  it("writes the text to the clipboard", async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    await copyText("hello");
    expect(writeText).toHaveBeenCalledWith("hello");
  });

  it("says so when there is no clipboard", async () => {
    vi.stubGlobal("navigator", {});
    await expect(copyText("hello")).rejects.toThrow(/does not allow copying/);
    vi.stubGlobal("navigator", undefined);
    await expect(copyText("hello")).rejects.toThrow(/does not allow copying/);
  });

  it("says so when the browser refuses, keeping its reason", async () => {
    const refusal = new DOMException("Document is not focused.", "NotAllowedError");
    vi.stubGlobal("navigator", { clipboard: { writeText: vi.fn(async () => Promise.reject(refusal)) } });
    const error = await copyText("hello").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/refused to copy/);
    expect((error as Error).cause).toBe(refusal);
  });
});
