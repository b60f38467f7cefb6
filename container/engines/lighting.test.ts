import { describe, expect, it } from "vitest";
import { flattenLight, paperEvenness } from "./lighting";

/** A 600×800 grey page: paper lit by `light(x, y)` (0–1), with a dark stroke every 20th row (lines of "ink"). */
function page(light: (x: number, y: number) => number) {
  const width = 600;
  const height = 800;
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const ink = y % 20 < 3 && x > 50 && x < 550;
      pixels[y * width + x] = Math.round((ink ? 20 : 240) * light(x, y));
    }
  }
  return { pixels, width, height };
}

describe("paper lit unevenly", () => {
  it("measures an evenly lit page as even, and light falling off or a shadow as uneven", () => {
    expect(paperEvenness(page(() => 1))).toBeCloseTo(1, 2);
    expect(paperEvenness(page((x) => 1 - (0.45 * x) / 600))).toBeLessThan(0.65);
    expect(paperEvenness(page((x) => (x > 400 ? 0.5 : 1)))).toBeLessThan(0.6);
  });

  it("takes a dark band, or a dark-mode screen, for what it is, not for shade", () => {
    // A title band over the top fifth of the page, at an eighth of the paper's brightness.
    expect(paperEvenness(page((_, y) => (y < 160 ? 0.125 : 1)))).toBeCloseTo(1, 2);
    expect(paperEvenness(page(() => 0.12))).toBeCloseTo(1, 2);
  });

  it("makes the paper white everywhere and keeps the ink dark", () => {
    const flat = flattenLight(page((x) => 1 - (0.45 * x) / 600));
    const at = (x: number, y: number) => flat.pixels[y * flat.width + x] ?? -1;
    // Paper, at the bright and the dark edge; ink, at both.
    for (const x of [60, 300, 540]) {
      expect(at(x, 10)).toBeGreaterThan(240);
      expect(at(x, 1)).toBeLessThan(40);
    }
    expect(paperEvenness(flat)).toBeGreaterThan(0.95);
  });
});
