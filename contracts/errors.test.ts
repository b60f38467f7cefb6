import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERRORS, ErrorCode } from "./errors";

describe("error catalog", () => {
  it("maps every code to a 4xx or 5xx status", () => {
    for (const code of ErrorCode.options) {
      expect(ERRORS[code].status).toBeGreaterThanOrEqual(400);
      expect(ERRORS[code].status).toBeLessThan(600);
    }
  });

  it("is documented in the README, code by code", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const missing = ErrorCode.options.filter((code) => !readme.includes(`\`${code}\``));
    expect(missing).toEqual([]);
  });
});
