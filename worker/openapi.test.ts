import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import committed from "../client/openapi.json";

describe("the OpenAPI document", () => {
  it("is the one the typed client is generated from (else run `npm run openapi:export`)", async () => {
    const served = await (await SELF.fetch("https://api.test/v1/openapi.json")).json();
    expect(served).toEqual(committed);
  });
});
