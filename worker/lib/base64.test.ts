import { describe, expect, it } from "vitest";
import { bytesFromBase64 } from "./base64";

describe("bytesFromBase64", () => {
  it("gives back every byte value, and nothing for an empty text", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bytesFromBase64(btoa(String.fromCharCode(...all)))).toEqual(all);
    expect(bytesFromBase64("")).toEqual(new Uint8Array(0));
  });

  it("refuses text that is not base64", () => {
    expect(() => bytesFromBase64("not base64!")).toThrow();
  });
});
