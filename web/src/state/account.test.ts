import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_LIMITS } from "../../../contracts/limits";

/**
 * The account page's logic, in node: the API client is replaced (the real one reads the page's
 * location and the session from localStorage), so the controllers are checked against answers
 * shaped as the API gives them.
 */
const calls: { method: string; path: string; init?: unknown }[] = [];
const answers = new Map<string, () => { status: number; body?: unknown }>();

function answer(method: string, path: string) {
  const found = answers.get(`${method} ${path}`);
  const { status, body } = found ? found() : { status: 500, body: { code: "internal_error", title: "unmocked" } };
  const response = new Response(body === undefined ? null : JSON.stringify(body), { status });
  return Promise.resolve(status >= 200 && status < 300 ? { data: body, response } : { error: body, response });
}

vi.mock("../api/client", async () => {
  const { ApiError } = await import("../../../client");
  const { unwrap } = await import("../api/unwrap");
  const call = (method: string) => (path: string, init?: unknown) => {
    calls.push({ method, path, init });
    return answer(method, path);
  };
  return {
    ApiError,
    api: { GET: call("GET"), POST: call("POST"), DELETE: call("DELETE") },
    unwrap,
  };
});

const account = await import("./account");
const shared = await import("./usage");
const { ApiError } = await import("../../../client");

const usageBody = {
  limits: DEFAULT_LIMITS,
  uploads: { max_direct_bytes: 100 * 1024 ** 2, max_multipart_bytes: 5 * 1024 ** 3, part_bytes: 10 * 1024 ** 2 },
  throughput: {
    window_s: 86400,
    ocr_per_page: null,
    av_per_minute: null,
    estimates: {
      curves: { pdf: [], image: [], audio: [], video: [] },
      queues: {
        ocr: { typical_wait_s: null, queued: 0, processing: 0, job_s: null },
        av: { typical_wait_s: null, queued: 0, processing: 0, job_s: null },
      },
    },
  },
  concurrent_jobs: 19,
  open_uploads: { count: 0, bytes: 0 },
  api_keys: 2,
  day: { since: "2026-11-27T12:00:00Z", jobs: 12, pages: 5000, audio_minutes: 90.25 },
};

const key = (id: string, revoked_at: string | null = null) => ({
  id,
  name: `key ${id}`,
  prefix: "vb_abcd",
  scopes: ["jobs:read"],
  created_at: "2026-11-28T10:00:00Z",
  last_used_at: null,
  revoked_at,
});

const endpoint = (id: string, disabled_at: string | null = null) => ({
  id,
  url: "https://example.com/hook",
  events: ["job.succeeded"],
  description: null,
  created_at: "2026-11-28T10:00:00Z",
  disabled_at,
  disabled_reason: disabled_at ? "50 deliveries in a row failed; last: HTTP 500" : null,
  failure_streak: disabled_at ? 50 : 0,
});

const delivery = (id: string, event_id: string, ok: boolean) => ({
  id,
  event_id,
  endpoint_id: "whk_1",
  type: "webhook.test",
  attempt: 1,
  status_code: ok ? 200 : 500,
  ok,
  error: ok ? null : "HTTP 500",
  duration_ms: 85,
  at: "2026-11-28T10:00:00Z",
});

beforeEach(() => {
  calls.length = 0;
  answers.clear();
  account.timing.sleep = () => Promise.resolve();
  account.timing.pollTries = 3;
});
afterEach(() => vi.unstubAllGlobals());

describe("usage meters", () => {
  it("computes the share used and warns from 90 %", () => {
    expect(account.meterLevel(0, 10)).toBe("ok");
    expect(account.meterLevel(8, 10)).toBe("ok");
    expect(account.meterLevel(9, 10)).toBe("warn");
    expect(account.meterLevel(10, 10)).toBe("full");
    expect(account.meterLevel(12, 10)).toBe("full");
    const m = account.meter("pages", "Pages", 12, 5000, "pages");
    expect(m.text).toBe("12 of 5000 pages");
    expect(m.percent).toBeCloseTo(0.24);
    expect(account.meter("x", "X", 15, 10, "jobs").percent).toBe(100);
  });

  it("lists running jobs and the last 24 hours' quotas", () => {
    const meters = account.usageMeters(usageBody);
    expect(meters.map((m) => [m.id, m.level, m.text])).toEqual([
      ["concurrent", "warn", "19 of 20 jobs"],
      ["jobs", "ok", "12 of 2000 jobs"],
      ["pages", "full", "5000 of 5000 pages"],
      ["minutes", "ok", "90.3 of 1440 minutes"],
    ]);
  });

  it("shows what the caller holds open against its caps", () => {
    const held = account.heldMeters({ ...usageBody, open_uploads: { count: 18, bytes: 3 * 1024 ** 3 }, api_keys: 100 });
    expect(held.map((m) => [m.id, m.level, m.text])).toEqual([
      ["open-uploads", "warn", "18 of 20 uploads"],
      ["open-bytes", "ok", "3.0 GB of 20 GB"],
      ["api-keys", "full", "100 of 100 keys"],
    ]);
  });
});

describe("forms", () => {
  it("checks a key's name and scopes as the API does", () => {
    expect(account.keyFormProblem("  ", ["jobs:read"])).toMatch(/name/);
    expect(account.keyFormProblem("x".repeat(101), ["jobs:read"])).toMatch(/100/);
    expect(account.keyFormProblem("CI", [])).toMatch(/scope/);
    expect(account.keyFormProblem(" CI ", ["jobs:read"])).toBeNull();
  });

  it("checks an endpoint's URL and events", () => {
    expect(account.endpointFormProblem("", ["job.failed"])).toMatch(/URL/);
    expect(account.endpointFormProblem("example.com/hook", ["job.failed"])).toMatch(/full URL/);
    expect(account.endpointFormProblem("ftp://example.com/hook", ["job.failed"])).toMatch(/https/);
    expect(account.endpointFormProblem("https://example.com/hook", [])).toMatch(/event/);
    expect(account.endpointFormProblem(" https://example.com/hook ", ["job.failed"])).toBeNull();
  });

  it("toggles checkboxes keeping the canonical order", () => {
    const all = ["a", "b", "c"] as const;
    expect(account.toggled(all, ["c"], "a", true)).toEqual(["a", "c"]);
    expect(account.toggled(all, ["a", "b", "c"], "b", false)).toEqual(["a", "c"]);
    expect(account.toggled(all, [], "b", false)).toEqual([]);
  });
});

describe("deliveries", () => {
  it("describes an attempt", () => {
    expect(account.describeDelivery({ ok: true, status_code: 200, error: null, duration_ms: 85 })).toBe(
      "Delivered: HTTP 200 in 85 ms",
    );
    expect(account.describeDelivery({ ok: false, status_code: null, error: "timeout", duration_ms: 10000 })).toBe(
      "Failed: timeout (after 10.0 s)",
    );
    expect(account.describeDelivery({ ok: false, status_code: 500, error: null, duration_ms: 1200 })).toBe(
      "Failed: HTTP 500 (after 1.2 s)",
    );
  });

  it("finds the newest new attempt of an event", () => {
    const list = [
      delivery("whd_3", "evt_b", true),
      delivery("whd_2", "evt_a", false),
      delivery("whd_1", "evt_a", true),
    ];
    expect(account.newAttemptOf(list, "evt_a", new Set())?.id).toBe("whd_2");
    expect(account.newAttemptOf(list, "evt_a", new Set(["whd_2", "whd_1"]))).toBeUndefined();
    expect(account.newAttemptOf(list, "evt_c", new Set())).toBeUndefined();
  });

  it("states an endpoint's state", () => {
    expect(account.endpointState({ disabled_at: null, failure_streak: 0 })).toEqual({ label: "Enabled", tone: "good" });
    expect(account.endpointState({ disabled_at: null, failure_streak: 2 }).tone).toBe("busy");
    expect(account.endpointState({ disabled_at: "2026-11-28T10:00:00Z", failure_streak: 50 }).label).toBe("Disabled");
  });
});

describe("controllers", () => {
  it("loads usage, keys and endpoints when the page opens", async () => {
    answers.set("GET /v1/usage", () => ({ status: 200, body: usageBody }));
    answers.set("GET /v1/keys", () => ({ status: 200, body: { data: [key("key_1")] } }));
    answers.set("GET /v1/webhooks", () => ({
      status: 403,
      body: { code: "forbidden", title: "no", status: 403, request_id: "req_1" },
    }));
    account.openAccount();
    await vi.waitFor(() => expect(account.endpoints.value.loading).toBe(false));
    await vi.waitFor(() => expect(account.keys.value.data).toHaveLength(1));
    await vi.waitFor(() => expect(shared.usage.value?.concurrent_jobs).toBe(19));
    expect(shared.usageError.value).toBeNull();
    const error = account.endpoints.value.error;
    expect(error).toBeInstanceOf(ApiError);
    expect((error as InstanceType<typeof ApiError>).problem.request_id).toBe("req_1");
  });

  it("keeps usage that could not be refreshed, with the problem, in the shared store", async () => {
    answers.set("GET /v1/usage", () => ({ status: 200, body: usageBody }));
    await shared.loadUsage();
    answers.set("GET /v1/usage", () => ({
      status: 503,
      body: { code: "unavailable", title: "down", status: 503, request_id: "req_u" },
    }));
    account.openAccount();
    await vi.waitFor(() => expect(shared.usageError.value).toBeInstanceOf(ApiError));
    expect(shared.usage.value?.day.jobs).toBe(12);
  });

  it("creates a key, keeps it to show once, and reloads the list", async () => {
    answers.set("POST /v1/keys", () => ({ status: 201, body: { ...key("key_2"), key: "vb_secret" } }));
    answers.set("GET /v1/keys", () => ({ status: 200, body: { data: [key("key_2"), key("key_1")] } }));
    expect(await account.createKey(" CI ", ["jobs:read"])).toBe(true);
    expect(calls.find((c) => c.method === "POST")?.init).toEqual({ body: { name: "CI", scopes: ["jobs:read"] } });
    expect(account.createdKey.value?.key).toBe("vb_secret");
    await vi.waitFor(() => expect(account.keys.value.data).toHaveLength(2));
    account.dismissCreatedKey();
    expect(account.createdKey.value).toBeNull();
  });

  it("refuses an invalid key form without calling the API", async () => {
    expect(await account.createKey("", ["jobs:read"])).toBe(false);
    expect(account.keyCreation.value.invalid).toMatch(/name/);
    expect(calls).toHaveLength(0);
  });

  it("keeps a failed creation's problem", async () => {
    answers.set("POST /v1/keys", () => ({
      status: 422,
      body: { code: "validation_failed", title: "bad", status: 422, request_id: "req_2" },
    }));
    expect(await account.createKey("CI", ["jobs:read"])).toBe(false);
    expect(account.keyCreation.value.error).toBeInstanceOf(ApiError);
    expect(account.createdKey.value).toBeNull();
  });

  it("revokes a key and reloads the list", async () => {
    answers.set("DELETE /v1/keys/{id}", () => ({ status: 200, body: key("key_1", "2026-11-28T11:00:00Z") }));
    answers.set("GET /v1/keys", () => ({ status: 200, body: { data: [key("key_1", "2026-11-28T11:00:00Z")] } }));
    expect(await account.revokeKey("key_1")).toBe(true);
    expect(account.keys.value.data?.[0]?.revoked_at).toBe("2026-11-28T11:00:00Z");
    expect(account.actionOf("revoke:key_1")).toEqual(account.IDLE_ACTION);
  });

  it("adds an endpoint and keeps its secret to show once", async () => {
    answers.set("POST /v1/webhooks", () => ({ status: 201, body: { ...endpoint("whk_1"), secret: "whsec_x" } }));
    answers.set("GET /v1/webhooks", () => ({ status: 200, body: { data: [endpoint("whk_1")] } }));
    expect(await account.createEndpoint("https://example.com/hook", ["job.succeeded"], "  ")).toBe(true);
    expect(calls.find((c) => c.method === "POST")?.init).toEqual({
      body: { url: "https://example.com/hook", events: ["job.succeeded"] },
    });
    expect(account.revealedSecret.value).toMatchObject({ secret: "whsec_x", reason: "created", endpoint_id: "whk_1" });
  });

  it("rotates a secret: the new one shown with the overlap", async () => {
    answers.set("GET /v1/webhooks", () => ({ status: 200, body: { data: [endpoint("whk_1")] } }));
    await account.loadEndpoints();
    answers.set("POST /v1/webhooks/{id}/rotate-secret", () => ({
      status: 200,
      body: { ...endpoint("whk_1"), secret: "whsec_new", previous_secret_until: "2026-11-29T10:00:00Z" },
    }));
    expect(await account.rotateSecret("whk_1")).toBe(true);
    expect(account.revealedSecret.value).toMatchObject({
      secret: "whsec_new",
      reason: "rotated",
      previous_secret_until: "2026-11-29T10:00:00Z",
    });
  });

  it("enables a disabled endpoint in place", async () => {
    answers.set("GET /v1/webhooks", () => ({
      status: 200,
      body: { data: [endpoint("whk_1", "2026-11-28T10:00:00Z")] },
    }));
    await account.loadEndpoints();
    answers.set("POST /v1/webhooks/{id}/enable", () => ({ status: 200, body: endpoint("whk_1") }));
    expect(await account.enableEndpoint("whk_1")).toBe(true);
    expect(account.endpoints.value.data?.[0]?.disabled_at).toBeNull();
  });

  it("sends a test event and reports its first attempt", async () => {
    let polls = 0;
    answers.set("POST /v1/webhooks/{id}/test", () => ({ status: 202, body: { event_id: "evt_test_1" } }));
    answers.set("GET /v1/webhooks/{id}/deliveries", () => ({
      status: 200,
      body: { data: ++polls < 2 ? [] : [delivery("whd_1", "evt_test_1", true)] },
    }));
    expect(await account.sendTest("whk_1")).toBe(true);
    expect(account.actionOf("test:whk_1").note).toBe("Test event evt_test_1: Delivered: HTTP 200 in 85 ms.");
  });

  it("says so when no attempt is recorded in time", async () => {
    answers.set("POST /v1/webhooks/{id}/test", () => ({ status: 202, body: { event_id: "evt_test_2" } }));
    answers.set("GET /v1/webhooks/{id}/deliveries", () => ({ status: 200, body: { data: [] } }));
    expect(await account.sendTest("whk_1")).toBe(true);
    expect(account.actionOf("test:whk_1").note).toMatch(/no attempt recorded yet/);
  });

  it("resends a delivery (202 with no body) and reports the new attempt", async () => {
    const old = delivery("whd_1", "evt_a", false);
    answers.set("GET /v1/webhooks/{id}/deliveries", () => ({ status: 200, body: { data: [old] } }));
    account.toggleDeliveries("whk_1");
    await vi.waitFor(() => expect(account.deliveryLogOf("whk_1").data).toHaveLength(1));
    answers.set("POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend", () => ({ status: 202 }));
    answers.set("GET /v1/webhooks/{id}/deliveries", () => ({
      status: 200,
      body: { data: [delivery("whd_2", "evt_a", true), old] },
    }));
    expect(await account.resendDelivery("whk_1", old)).toBe(true);
    expect(account.actionOf("resend:whd_1").note).toBe("Resent: Delivered: HTTP 200 in 85 ms.");
    expect(account.deliveryLogOf("whk_1").data).toHaveLength(2);
  });

  it("keeps a refused test's problem (disabled endpoint)", async () => {
    answers.set("POST /v1/webhooks/{id}/test", () => ({
      status: 409,
      body: { code: "invalid_transition", title: "disabled", status: 409, request_id: "req_3" },
    }));
    expect(await account.sendTest("whk_1")).toBe(false);
    expect((account.actionOf("test:whk_1").error as InstanceType<typeof ApiError>).problem.code).toBe(
      "invalid_transition",
    );
  });

  it("copies a secret, and says so when the browser refuses", async () => {
    const writeText = vi.fn(async (_text: string) => {});
    vi.stubGlobal("navigator", { clipboard: { writeText } });
    expect(await account.copySecret("vb_secret")).toBe(true);
    expect(writeText).toHaveBeenCalledWith("vb_secret");
    expect(account.secretCopy.value).toEqual({ text: "vb_secret", copied: true });
    writeText.mockRejectedValueOnce(new Error("not allowed"));
    expect(await account.copySecret("whsec_x")).toBe(false);
    expect(account.secretCopy.value).toEqual({ text: "whsec_x", copied: false });
    vi.stubGlobal("navigator", undefined);
    expect(await account.copySecret("whsec_x")).toBe(false);
    account.closeAccount();
    expect(account.secretCopy.value).toBeNull();
  });

  it("forgets a dismissed secret's copy", async () => {
    vi.stubGlobal("navigator", { clipboard: { writeText: async () => {} } });
    answers.set("POST /v1/keys", () => ({ status: 201, body: { ...key("key_3"), key: "vb_third" } }));
    answers.set("GET /v1/keys", () => ({ status: 200, body: { data: [key("key_3")] } }));
    expect(await account.createKey("CI", ["jobs:read"])).toBe(true);
    await account.copySecret("vb_third");
    expect(account.secretCopy.value?.copied).toBe(true);
    account.dismissCreatedKey();
    expect(account.secretCopy.value).toBeNull();
  });

  it("deletes an endpoint (204) and reloads the list", async () => {
    answers.set("DELETE /v1/webhooks/{id}", () => ({ status: 204 }));
    answers.set("GET /v1/webhooks", () => ({ status: 200, body: { data: [] } }));
    expect(await account.deleteEndpoint("whk_1")).toBe(true);
    expect(account.endpoints.value.data).toEqual([]);
  });
});
