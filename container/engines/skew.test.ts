import { describe, expect, it } from "vitest";
import { measureSkew } from "./skew";

/**
 * A 600×800 white picture with lines of "words" (dark dashes) turned `degrees` clockwise about its
 * centre. With `letters`, the words have ascenders (3 px above the line's core, every 7th column)
 * and fewer descenders (3 px below it, every 19th), as mixed-case print has.
 */
function page(degrees: number, { vertical = false, letters = false } = {}) {
  const width = 600;
  const height = 800;
  const pixels = new Uint8Array(width * height).fill(255);
  const radians = (degrees * Math.PI) / 180;
  for (let line = 0; line < 30; line++) {
    for (let x = 60; x < 540; x++) {
      if (x % 40 > 30) continue; // the space between words
      const above = letters && x % 7 === 0 ? 3 : 0;
      const below = letters && x % 19 === 0 ? 3 : 0;
      for (let thickness = -above; thickness < 6 + below; thickness++) {
        // Along the line (u) and across it (v), from the centre; a vertical page swaps them.
        const u = x - width / 2;
        const v = 60 + line * 24 + thickness - height / 2;
        const [px, py] = vertical ? [v, u] : [u, v];
        const tx = Math.round(width / 2 + px * Math.cos(radians) - py * Math.sin(radians));
        const ty = Math.round(height / 2 + px * Math.sin(radians) + py * Math.cos(radians));
        if (tx >= 0 && tx < width && ty >= 0 && ty < height) pixels[ty * width + tx] = 0;
      }
    }
  }
  return { pixels, width, height };
}

describe("measureSkew", () => {
  it.each([0, 0.5, 3, -4, 7.5, -9])("finds lines turned %s° clockwise", (degrees) => {
    const { pixels, width, height } = page(degrees);
    const skew = measureSkew(pixels, width, height);
    expect(skew.vertical).toBe(false);
    expect(Math.abs(skew.angle - degrees)).toBeLessThanOrEqual(0.1);
  });

  it("tells lines running down the page, with their skew", () => {
    const { pixels, width, height } = page(2, { vertical: true });
    const skew = measureSkew(pixels, width, height);
    expect(skew.vertical).toBe(true);
    expect(Math.abs(skew.angle)).toBeCloseTo(2, 1);
  });

  it("finds nothing to level on a blank page or a picture that is mostly dark", () => {
    const nothing = { angle: 0, vertical: false, upsideDown: false };
    expect(measureSkew(new Uint8Array(600 * 800).fill(255), 600, 800)).toEqual(nothing);
    const noise = Uint8Array.from({ length: 600 * 800 }, (_, i) => ((i * 2654435761) >>> 24) & 0xff);
    expect(measureSkew(noise, 600, 800)).toEqual(nothing);
  });

  it.each([0, 4, -9])("tells lines of letters upside down from upright, skewed %s°", (degrees) => {
    const upright = page(degrees, { letters: true });
    expect(measureSkew(upright.pixels, upright.width, upright.height)).toMatchObject({ upsideDown: false });
    const flipped = page(degrees + 180, { letters: true });
    const skew = measureSkew(flipped.pixels, flipped.width, flipped.height);
    expect(skew.upsideDown).toBe(true);
    expect(Math.abs(skew.angle - degrees)).toBeLessThanOrEqual(0.1);
  });

  it("makes no guess about lines with nothing above or below their core (capitals alone)", () => {
    for (const degrees of [0, 180]) {
      const { pixels, width, height } = page(degrees);
      expect(measureSkew(pixels, width, height).upsideDown).toBe(false);
    }
  });
});
