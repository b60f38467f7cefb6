import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { schemaTypes } from "./openapi-export";

describe("client/schema.d.ts", () => {
  it("is generated from client/openapi.json (else run `npm run openapi:export`)", async () => {
    const document = JSON.parse(readFileSync("client/openapi.json", "utf8"));
    expect(await schemaTypes(document)).toBe(readFileSync("client/schema.d.ts", "utf8"));
  });
});
