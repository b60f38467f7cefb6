import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MIGRATIONS } from "../worker/db/migrations";

describe("migrations list", () => {
  it("names every SQL migration file, in order (readiness checks them all)", () => {
    const files = readdirSync(new URL("../migrations", import.meta.url))
      .filter((f) => f.endsWith(".sql"))
      .sort();
    expect([...MIGRATIONS]).toEqual(files);
  });
});
