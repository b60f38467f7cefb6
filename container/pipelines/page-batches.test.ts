import { describe, expect, it } from "vitest";
import { pageBatches as batchesOf } from "./page-batches";

/** Pages `first`..`last`. */
const span = (first: number, last: number) =>
  Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => first + i);
const pageBatches = (first: number, last: number, slots: number) => batchesOf(span(first, last), slots);

const sizes = (batches: number[][]) => batches.map((batch) => batch.length);

describe("pageBatches", () => {
  it("gives each slot one batch when the pages fit, in consecutive pages", () => {
    expect(pageBatches(1, 10, 2)).toEqual([
      [1, 2, 3, 4, 5],
      [6, 7, 8, 9, 10],
    ]);
    expect(pageBatches(11, 17, 2)).toEqual([
      [11, 12, 13, 14],
      [15, 16, 17],
    ]);
  });

  it("never puts more than the maximum in one batch, and makes a multiple of the slots' batches of even size", () => {
    expect(sizes(pageBatches(1, 12, 2))).toEqual([3, 3, 3, 3]);
    expect(sizes(pageBatches(1, 20, 2))).toEqual([5, 5, 5, 5]);
    expect(sizes(pageBatches(1, 21, 2))).toEqual([4, 4, 4, 3, 3, 3]);
    expect(sizes(pageBatches(1, 100, 4))).toEqual(Array(20).fill(5));
    for (let pages = 1; pages <= 60; pages++) {
      for (const slots of [1, 2, 3, 8]) {
        const batches = pageBatches(1, pages, slots);
        expect(batches.flat()).toEqual(Array.from({ length: pages }, (_, index) => index + 1));
        expect(Math.max(...sizes(batches))).toBeLessThanOrEqual(5);
        expect(Math.max(...sizes(batches)) - Math.min(...sizes(batches))).toBeLessThanOrEqual(1);
        if (batches.length < pages) expect(batches.length % slots).toBe(0);
      }
    }
  });

  it("makes one batch per page when there are fewer pages than slots, and none for no pages", () => {
    expect(pageBatches(3, 4, 8)).toEqual([[3], [4]]);
    expect(pageBatches(5, 4, 2)).toEqual([]);
  });

  it("batches a selection of pages (options.pages) the same way, keeping their numbers", () => {
    expect(batchesOf([1, 2, 3, 7, 9, 10, 11], 2)).toEqual([
      [1, 2, 3, 7],
      [9, 10, 11],
    ]);
  });
});
