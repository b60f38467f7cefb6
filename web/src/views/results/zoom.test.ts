import { describe, expect, it } from "vitest";
import { canZoom, stepZoom, zoomLabel } from "./zoom";

describe("stepZoom", () => {
  it("goes to the next level in and out from the fitted width", () => {
    expect(stepZoom(1, 1)).toBe(1.25);
    expect(stepZoom(1, -1)).toBe(0.75);
    expect(stepZoom(2, 1)).toBe(3);
  });

  it("goes from between two levels to the nearer one in that direction", () => {
    expect(stepZoom(1.1, 1)).toBe(1.25);
    expect(stepZoom(1.1, -1)).toBe(1);
  });

  it("stays at the ends", () => {
    expect(stepZoom(4, 1)).toBe(4);
    expect(stepZoom(0.5, -1)).toBe(0.5);
    expect(canZoom(4, 1)).toBe(false);
    expect(canZoom(4, -1)).toBe(true);
    expect(canZoom(0.5, -1)).toBe(false);
  });
});

describe("zoomLabel", () => {
  it("says the zoom in whole percent", () => {
    expect(zoomLabel(1)).toBe("100%");
    expect(zoomLabel(1.25)).toBe("125%");
    expect(zoomLabel(0.75)).toBe("75%");
  });
});
