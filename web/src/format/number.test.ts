import { describe, expect, it } from "vitest";
import { formatAmount, formatMilliseconds } from "./number";

describe("formatAmount", () => {
  it("keeps integers and rounds fractions to one decimal", () => {
    expect(formatAmount(3)).toBe("3");
    expect(formatAmount(5000)).toBe("5000");
    expect(formatAmount(2.04)).toBe("2");
    expect(formatAmount(1439.96)).toBe("1440");
    expect(formatAmount(0.25)).toBe("0.3");
    expect(formatAmount(90.25)).toBe("90.3");
  });

  it("shows a dash for what is not a number", () => {
    expect(formatAmount(Number.NaN)).toBe("–");
    expect(formatAmount(Number.POSITIVE_INFINITY)).toBe("–");
  });
});

describe("formatMilliseconds", () => {
  it("shows milliseconds under a second, else seconds to one decimal", () => {
    expect(formatMilliseconds(85)).toBe("85 ms");
    expect(formatMilliseconds(999)).toBe("999 ms");
    expect(formatMilliseconds(1000)).toBe("1.0 s");
    expect(formatMilliseconds(1234)).toBe("1.2 s");
    expect(formatMilliseconds(-1)).toBe("–");
  });
});
