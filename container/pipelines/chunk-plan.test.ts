import { describe, expect, it } from "vitest";
import { planChunks } from "./chunk-plan";

const options = { targetS: 60, windowS: 15 };

describe("planChunks", () => {
  it("keeps audio no longer than the target in one chunk", () => {
    expect(planChunks(60, [], options)).toEqual([{ start: 0, end: 60 }]);
    expect(planChunks(12.5, [{ start: 3, end: 4 }], options)).toEqual([{ start: 0, end: 12.5 }]);
  });

  it("cuts exactly on the target when there is no silence", () => {
    expect(planChunks(150, [], options)).toEqual([
      { start: 0, end: 60 },
      { start: 60, end: 120 },
      { start: 120, end: 150 },
    ]);
  });

  it("cuts at the midpoint of the silence nearest each target", () => {
    const silences = [
      { start: 20, end: 21 },
      { start: 52, end: 54 }, // midpoint 53, 7 s before the target
      { start: 64, end: 65 }, // midpoint 64.5, 4.5 s after it: nearer
      { start: 118, end: 119 }, // next target is 124.5; 118.5 is 6 s away
    ];
    expect(planChunks(150, silences, options)).toEqual([
      { start: 0, end: 64.5 },
      { start: 64.5, end: 118.5 },
      { start: 118.5, end: 150 },
    ]);
  });

  it("ignores silences outside the window", () => {
    expect(
      planChunks(
        100,
        [
          { start: 40, end: 41 },
          { start: 80, end: 82 },
        ],
        options,
      ),
    ).toEqual([
      { start: 0, end: 60 },
      { start: 60, end: 100 },
    ]);
  });

  it("covers the duration without gaps or overlaps", () => {
    const silences = Array.from({ length: 40 }, (_, index) => ({ start: index * 17 + 3, end: index * 17 + 3.4 }));
    const chunks = planChunks(700, silences, options);
    expect(chunks[0]?.start).toBe(0);
    expect(chunks.at(-1)?.end).toBe(700);
    for (const [index, chunk] of chunks.entries()) {
      expect(chunk.end).toBeGreaterThan(chunk.start);
      if (index > 0) expect(chunk.start).toBe(chunks[index - 1]?.end);
    }
    expect(chunks.length).toBeGreaterThanOrEqual(10);
    expect(chunks.length).toBeLessThanOrEqual(13);
  });

  it("plans nothing for empty audio", () => {
    expect(planChunks(0, [], options)).toEqual([]);
  });
});
