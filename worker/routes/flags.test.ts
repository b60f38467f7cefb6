import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { Flag, JobResource } from "../../contracts";
import { flagReader, rolloutBucket } from "../services/flags";
import { createUserWithKey, TINY_PNG, uploadForm } from "../test/helpers";

const put = (auth: Record<string, string>, name: string, body: unknown) =>
  SELF.fetch(`https://api.test/v1/admin/flags/${name}`, {
    method: "PUT",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
const mine = async (auth: Record<string, string>) =>
  (await (await SELF.fetch("https://api.test/v1/flags", { headers: auth })).json()) as Record<string, boolean>;

describe("feature flags", () => {
  it("take a rollout percentage and a kill switch, effective without a restart", async () => {
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const users = await Promise.all(Array.from({ length: 200 }, (_, i) => `usr_rollout_${i}`));
    const share = async () => {
      let on = 0;
      for (const user of users)
        if (await flagReader(env.DB, { FLAGS_CACHE_SECONDS: 0 }).isEnabled("speech_workers_ai", user)) on += 1;
      return on;
    };

    expect((await put(admin, "speech_workers_ai", { enabled: true, rollout_percent: 0 })).status).toBe(200);
    expect(await share()).toBe(0);
    await put(admin, "speech_workers_ai", { enabled: true, rollout_percent: 30 });
    const thirty = await share();
    expect(thirty).toBeGreaterThan(40); // 30 % of 200 is 60: a stable hash lands near it
    expect(thirty).toBeLessThan(80);
    await put(admin, "speech_workers_ai", { enabled: true, rollout_percent: 100 });
    expect(await share()).toBe(200);
    // The kill switch wins over any rollout.
    await put(admin, "speech_workers_ai", { enabled: false, rollout_percent: 100 });
    expect(await share()).toBe(0);
    await put(admin, "speech_workers_ai", { enabled: true, rollout_percent: 100 });
  });

  it("keeps each user on the same side as the rollout grows", async () => {
    for (const user of ["usr_a", "usr_b", "usr_c", "usr_d"]) {
      const bucket = await rolloutBucket("reuse_identical", user);
      expect(bucket).toBe(await rolloutBucket("reuse_identical", user));
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(100);
    }
  });

  it("are listed for admins, evaluated for each caller, and refused for unknown names", async () => {
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const list = (await (await SELF.fetch("https://api.test/v1/admin/flags", { headers: admin })).json()) as {
      data: unknown[];
    };
    expect(list.data.map((f) => Flag.parse(f).name)).toEqual([
      "speech_workers_ai",
      "speech_nova3",
      "fan_out",
      "reuse_identical",
      "ui_page_view",
    ]);
    const { auth } = await createUserWithKey();
    expect(await mine(auth)).toEqual({
      speech_workers_ai: true,
      speech_nova3: true,
      fan_out: true,
      reuse_identical: true,
      ui_page_view: true,
    });
    expect((await put(admin, "no_such_flag", { enabled: true, rollout_percent: 1 })).status).toBe(422);
    expect((await put(auth, "reuse_identical", { enabled: false, rollout_percent: 0 })).status).toBe(403);
  });

  it("guard risky paths: ?reuse=identical is ignored while its flag is off", async () => {
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const { auth } = await createUserWithKey();
    await put(admin, "reuse_identical", { enabled: false, rollout_percent: 100 });
    try {
      expect((await mine(auth)).reuse_identical).toBe(false);
      const first = JobResource.parse(
        await (
          await SELF.fetch("https://api.test/v1/jobs", {
            method: "POST",
            body: uploadForm(TINY_PNG, "a.png"),
            headers: auth,
          })
        ).json(),
      );
      const again = await SELF.fetch("https://api.test/v1/jobs?reuse=identical", {
        method: "POST",
        body: uploadForm(TINY_PNG, "a.png"),
        headers: auth,
      });
      expect(again.status).toBe(202);
      expect(JobResource.parse(await again.json()).id).not.toBe(first.id);
    } finally {
      await put(admin, "reuse_identical", { enabled: true, rollout_percent: 100 });
    }
  });
});
