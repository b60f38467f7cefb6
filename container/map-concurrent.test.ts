import { describe, expect, it } from "vitest";
import { mapConcurrent } from "./map-concurrent";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("mapConcurrent", () => {
  it("keeps input order whatever order the calls finish in, with at most `limit` in flight", async () => {
    let inFlight = 0;
    let peak = 0;
    const results = await mapConcurrent([30, 5, 20, 1, 10], 2, async (ms, index) => {
      peak = Math.max(peak, ++inFlight);
      await sleep(ms);
      inFlight--;
      return `${index}:${ms}`;
    });
    expect(results).toEqual(["0:30", "1:5", "2:20", "3:1", "4:10"]);
    expect(peak).toBe(2);
  });

  it("rejects with the first failure at once and starts nothing after it", async () => {
    const started: number[] = [];
    const failing = mapConcurrent([0, 1, 2, 3, 4, 5], 2, async (item) => {
      started.push(item);
      if (item === 1) throw new Error("page 1 failed");
      await sleep(50);
      return item;
    });
    await expect(failing).rejects.toThrow("page 1 failed");
    await sleep(120);
    expect(started).toEqual([0, 1]);
  });

  it("maps an empty list to an empty list", async () => {
    expect(await mapConcurrent([], 4, async () => 1)).toEqual([]);
  });
});
