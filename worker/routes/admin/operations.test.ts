import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createQueuedJob, createUserWithKey } from "../../test/helpers";

describe("admin operations", () => {
  it("lists jobs stuck longer than a threshold, oldest first, with their live state and next watchdog run", async () => {
    const { userId } = await createUserWithKey();
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const old = new Date(Date.now() - 3600_000).toISOString();
    const older = new Date(Date.now() - 7200_000).toISOString();
    const a = await createQueuedJob(userId, { created_at: old, updated_at: old });
    const b = await createQueuedJob(userId, { created_at: older, updated_at: older });
    const fresh = await createQueuedJob(userId);
    const res = await SELF.fetch("https://api.test/v1/admin/jobs/stuck?older_than_s=1800&limit=100", {
      headers: admin,
    });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Array<{ id: string; status: string; alarm_at: string | null }> };
    const ids = data.map((j) => j.id);
    expect(ids.indexOf(b.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    expect(ids).not.toContain(fresh.id);
    expect(data.find((j) => j.id === a.id)?.alarm_at).not.toBeNull();
  });

  it("reports a user's usage over a window, and is for admins only", async () => {
    const { userId, auth } = await createUserWithKey();
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const file = (pages: number | null, duration_s: number | null) => ({
      name: "f",
      size: 1,
      mime: "application/pdf",
      sha256: "0".repeat(64),
      pages,
      duration_s,
    });
    await createQueuedJob(userId, { file: file(12, null) });
    await createQueuedJob(userId, { kind: "av", file: file(null, 90.5) });
    const res = await SELF.fetch(`https://api.test/v1/admin/users/${userId}/usage`, { headers: admin });
    expect(await res.json()).toMatchObject({ user_id: userId, jobs: { queued: 2 }, pages: 12, audio_seconds: 90.5 });
    expect((await SELF.fetch(`https://api.test/v1/admin/users/${userId}/usage`, { headers: auth })).status).toBe(403);
  });
});
