import { describe, expect, it } from "vitest";
import { turnedPlacement } from "./page-turn";

describe("turnedPlacement", () => {
  it("leaves a page read as it was alone", () => {
    expect(turnedPlacement({ width: 100, height: 200, rotation: 0, skew_deg: 0 })).toBeNull();
  });

  it("puts a page turned a quarter into the upright frame with its sides swapped", () => {
    // Uploaded 300×100 (landscape); read turned 90°: the upright page is 100×300.
    expect(turnedPlacement({ width: 100, height: 300, rotation: 90, skew_deg: 0 })).toMatchObject({
      widthPct: expect.closeTo(300, 6),
      heightPct: expect.closeTo(33.333, 2),
      degrees: 90,
    });
  });

  it("undoes the grown canvas of a straightened page", () => {
    // A 1000×1400 page straightened by −4°: the canvas grew to the turned page's bounding box.
    const radians = (4 * Math.PI) / 180;
    const width = 1000 * Math.cos(radians) + 1400 * Math.sin(radians);
    const height = 1000 * Math.sin(radians) + 1400 * Math.cos(radians);
    const placed = turnedPlacement({ width, height, rotation: 0, skew_deg: -4 });
    expect(placed?.degrees).toBe(-4);
    expect(((placed?.widthPct ?? 0) / 100) * width).toBeCloseTo(1000, 6);
    expect(((placed?.heightPct ?? 0) / 100) * height).toBeCloseTo(1400, 6);
  });

  it("turns an upside-down page half way round at its own size", () => {
    expect(turnedPlacement({ width: 100, height: 200, rotation: 180, skew_deg: 0 })).toMatchObject({
      widthPct: expect.closeTo(100, 6),
      heightPct: expect.closeTo(100, 6),
      degrees: 180,
    });
  });
});
