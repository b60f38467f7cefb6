import { describe, expect, it } from "vitest";
import { ProcessPool } from "./pool";

const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("ProcessPool", () => {
  it("never runs more than `size` tasks at once, and runs them all", async () => {
    const pool = new ProcessPool(3);
    let running = 0;
    let peak = 0;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        pool.use(async () => {
          running++;
          peak = Math.max(peak, running);
          expect(pool.busy).toBeLessThanOrEqual(3);
          await tick();
          running--;
          return index;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(peak).toBe(3);
    expect(pool.busy).toBe(0);
  });

  it("serves waiters first come, first served", async () => {
    const pool = new ProcessPool(1);
    const order: number[] = [];
    await Promise.all([1, 2, 3, 4].map((n) => pool.use(async () => order.push(n))));
    expect(order).toEqual([1, 2, 3, 4]);
  });

  it("releases the slot when a task fails", async () => {
    const pool = new ProcessPool(1);
    await expect(pool.use(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(pool.busy).toBe(0);
    await expect(pool.use(async () => "next")).resolves.toBe("next");
  });

  it("drops a waiter whose signal fires, without giving it a slot", async () => {
    const pool = new ProcessPool(1);
    let release = () => {};
    const holder = pool.use(() => new Promise<void>((resolve) => (release = resolve)));
    const controller = new AbortController();
    let ran = false;
    const waiter = pool.use(async () => {
      ran = true;
    }, controller.signal);
    controller.abort(new Error("client left"));
    await expect(waiter).rejects.toThrow("client left");
    release();
    await holder;
    expect(ran).toBe(false);
    expect(pool.busy).toBe(0);
  });

  it("rejects sizes that are not positive integers", () => {
    expect(() => new ProcessPool(0)).toThrow(RangeError);
    expect(() => new ProcessPool(1.5)).toThrow(RangeError);
  });
});
