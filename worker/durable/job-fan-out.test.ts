import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type Job, type PartRange, WorkMessage } from "../../contracts";
import { coordinatorFor } from "../services/coordinator";
import { captureSends, createQueuedJob, createUserWithKey } from "../test/helpers";

const PAGES: PartRange[] = [
  { unit: "pages", first: 1, last: 2 },
  { unit: "pages", first: 3, last: 4 },
  { unit: "pages", first: 5, last: 5 },
];

/** A job claimed by "parent" (attempt 1) and split into PAGES. */
async function fannedOut() {
  const { userId } = await createUserWithKey();
  const job = await createQueuedJob(userId, { file: { ...(await base()).file, mime: "application/pdf" } });
  const coordinator = coordinatorFor(env, job.id);
  await coordinator.claim("parent");
  const fanned = await coordinator.fanOut(1, PAGES);
  expect(fanned).toMatchObject({ ok: true, ranges: PAGES });
  return { job, coordinator };
}

/** The work step of each message sent (all of them valid work messages). */
const steps = (bodies: unknown[]) => bodies.map((body) => WorkMessage.parse(body).fan_out);

async function base(): Promise<Job> {
  const { userId } = await createUserWithKey();
  return createQueuedJob(userId);
}

describe("fan-out in the coordinator", () => {
  it("records the parts once per attempt, with progress in pages", async () => {
    const { coordinator } = await fannedOut();
    const job = await coordinator.get();
    expect(job?.parts).toEqual({ total: 3, done: 0, failed: [] });
    expect(job?.progress).toEqual({ done: 0, total: 5, unit: "pages", stage: "parts" });
    // A redelivered message asking again gets the parts already there, not a second split.
    const again = await coordinator.fanOut(1, [{ unit: "pages", first: 1, last: 5 }]);
    expect(again).toMatchObject({ ok: true, ranges: PAGES });
    expect(await coordinator.fanOut(2, PAGES)).toMatchObject({ ok: false, code: "stale_attempt" });
  });

  it("gives each part to one live message: duplicates are busy, settled parts are refused", async () => {
    const { coordinator } = await fannedOut();
    expect(await coordinator.claimPart(1, 0, "m1")).toMatchObject({ ok: true });
    expect(await coordinator.claimPart(1, 0, "m1-duplicate")).toMatchObject({ ok: false, reason: "busy" });
    expect(await coordinator.claimPart(1, 0, "m1")).toMatchObject({ ok: true }); // its own redelivery
    expect(await coordinator.claimPart(2, 1, "m2")).toMatchObject({ ok: false, reason: "stale" });
    expect(await coordinator.claimPart(1, 7, "m2")).toMatchObject({ ok: false, reason: "stale" });
    await coordinator.settlePart(1, 0, "m1", { engineSeconds: 2 });
    expect(await coordinator.claimPart(1, 0, "m1-late")).toMatchObject({ ok: false, reason: "settled" });
  });

  it("sums progress over parts and refuses reports from a message that does not hold the part", async () => {
    const { coordinator } = await fannedOut();
    await coordinator.claimPart(1, 0, "m0");
    await coordinator.claimPart(1, 1, "m1");
    await coordinator.reportPart(1, 0, "m0", 1);
    const reported = await coordinator.reportPart(1, 1, "m1", 2);
    expect(reported.ok && reported.job.progress).toMatchObject({ done: 3, total: 5 });
    expect(await coordinator.reportPart(1, 1, "someone-else", 1)).toMatchObject({ ok: false, code: "stale_attempt" });
  });

  it("queues the merge when the last part settles, once, and keeps failed parts in the job", async () => {
    const { coordinator } = await fannedOut();
    const sent = captureSends(env.OCR_QUEUE);
    for (const index of [0, 1, 2]) await coordinator.claimPart(1, index, `m${index}`);
    expect(await coordinator.settlePart(1, 0, "m0", { engineSeconds: 1.5 })).toMatchObject({
      ok: true,
      complete: false,
    });
    const error = { code: "media_corrupt" as const, message: "page 3 could not be decoded" };
    expect(await coordinator.settlePart(1, 1, "m1", { error, engineSeconds: 0.5 })).toMatchObject({ complete: false });
    expect(sent()).toEqual([]);
    expect(await coordinator.settlePart(1, 2, "m2", { engineSeconds: 1 })).toMatchObject({ ok: true, complete: true });
    const merge = { step: "merge", attempt: 1 };
    expect(steps(sent())).toEqual([merge]);
    const job = await coordinator.get();
    expect(job?.status).toBe("processing"); // the merge ends the job
    expect(job?.engine_seconds).toBe(3);
    expect(job?.parts).toEqual({ total: 3, done: 2, failed: [{ part: 1, range: PAGES[1], ...error }] });
    expect(job?.progress).toMatchObject({ done: 3, total: 5 });
    // A duplicate settling changes nothing, but asks for the merge again in case it was lost.
    expect(await coordinator.settlePart(1, 2, "m2", {})).toMatchObject({ ok: false, code: "invalid_transition" });
    expect((await coordinator.get())?.parts?.done).toBe(2);
    expect(steps(sent())).toEqual([merge, merge]);
  });

  it("lets a released part be taken by its retry, and the dead-letter consumer settle a part nobody holds", async () => {
    const { coordinator } = await fannedOut();
    await coordinator.claimPart(1, 0, "m0");
    const retries = async () =>
      (
        await env.DB.prepare("SELECT count(*) AS n FROM metric_events WHERE name = 'job_retried'").first<{
          n: number;
        }>()
      )?.n ?? 0;
    const before = await retries();
    await coordinator.releasePart(1, 0, "m0", {
      error: { code: "engine_failed", message: "crashed" },
      engineSeconds: 4,
    });
    expect(await retries()).toBe(before + 1); // a part's retry shows in the metrics
    expect((await coordinator.get())?.engine_seconds).toBe(4);
    expect(await coordinator.claimPart(1, 0, "m0-retry")).toMatchObject({ ok: true });
    const error = { code: "retries_exhausted" as const, message: "gave up" };
    expect(await coordinator.settlePart(1, 1, "dead", { error })).toMatchObject({ ok: false, code: "stale_attempt" });
    expect(await coordinator.settlePart(1, 1, "dead", { error, dead: true })).toMatchObject({ ok: true });
  });

  it("continues the attempt when the message that fanned out is redelivered", async () => {
    const { coordinator } = await fannedOut();
    expect(await coordinator.claim("parent")).toMatchObject({ ok: true, attempt: 1 });
    expect(await coordinator.claim("another")).toMatchObject({ ok: false, reason: "busy" });
  });

  it("has its watchdog re-send only the unfinished parts of a silent job, keeping the finished ones", async () => {
    const { job, coordinator } = await fannedOut();
    await coordinator.claimPart(1, 0, "m0");
    await coordinator.settlePart(1, 0, "m0", {});
    await coordinator.claimPart(1, 1, "m1-dies");
    await runInDurableObject(coordinator, async (_instance, state) => {
      const stored = (await state.storage.get<Job>("job")) as Job;
      await state.storage.put("job", { ...stored, updated_at: new Date(Date.now() - 601_000).toISOString() });
    });
    const sent = captureSends(env.OCR_QUEUE);
    expect(await runDurableObjectAlarm(coordinatorFor(env, job.id))).toBe(true);
    expect(steps(sent())).toEqual([
      { step: "part", attempt: 1, index: 1, range: PAGES[1] },
      { step: "part", attempt: 1, index: 2, range: PAGES[2] },
    ]);
    const after = await coordinator.get();
    expect(after).toMatchObject({ status: "processing", attempts: 1, parts: { done: 1 } });
    // The silent holder lost the part: the re-sent message takes it at once.
    expect(await coordinator.claimPart(1, 1, "m1-resent")).toMatchObject({ ok: true });
  });

  it("clears the parts when the job goes back to the queue", async () => {
    const { coordinator } = await fannedOut();
    await coordinator.transition("queued", { error: { code: "engine_failed", message: "x" } }, 1);
    const job = await coordinator.get();
    expect(job?.parts).toBeNull();
    expect(await coordinator.claimPart(1, 0, "m0")).toMatchObject({ ok: false, reason: "stale" });
  });
});
