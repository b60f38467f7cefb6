import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CreatedApiKey, JobResource, Problem } from "../../contracts";
import { createUserWithKey, TINY_PNG, uploadForm } from "../test/helpers";

/**
 * Tenant isolation, route by route: every route that takes an id answers another user's object
 * exactly as a missing one (404 `not_found`), and changes nothing. A new route with an `{id}` fails
 * the last test until it is listed here.
 */
const api = (path: string, init: RequestInit = {}) => SELF.fetch(`https://api.test${path}`, init);

async function owner() {
  const alice = await createUserWithKey();
  const job = JobResource.parse(
    await (
      await api("/v1/jobs", { method: "POST", body: uploadForm(TINY_PNG, "alice.png"), headers: alice.auth })
    ).json(),
  );
  const key = CreatedApiKey.parse(
    await (
      await api("/v1/keys", {
        method: "POST",
        body: JSON.stringify({ name: "alice's" }),
        headers: { ...alice.auth, "content-type": "application/json" },
      })
    ).json(),
  );
  const webhook = (await (
    await api("/v1/webhooks", {
      method: "POST",
      body: JSON.stringify({ url: "https://hooks.example.test/verbatim" }),
      headers: { ...alice.auth, "content-type": "application/json" },
    })
  ).json()) as { id: string };
  const upload = (await (
    await api("/v1/uploads", {
      method: "POST",
      body: JSON.stringify({ file_name: "a.png", size: 1 }),
      headers: { ...alice.auth, "content-type": "application/json" },
    })
  ).json()) as { id: string };
  return { alice, job, key, webhook, upload };
}

/** Each id-taking route, called by someone else with the owner's ids. */
const ROUTES: Array<{
  route: string;
  call: (
    ids: { job: string; key: string; webhook: string; upload: string },
    auth: Record<string, string>,
  ) => Promise<Response>;
}> = [
  { route: "GET /v1/jobs/{id}", call: ({ job }, auth) => api(`/v1/jobs/${job}`, { headers: auth }) },
  {
    route: "GET /v1/jobs/{id}/result",
    call: ({ job }, auth) => api(`/v1/jobs/${job}/result?format=txt`, { headers: auth }),
  },
  {
    route: "GET /v1/jobs/{id}/source",
    call: ({ job }, auth) => api(`/v1/jobs/${job}/source`, { headers: auth }),
  },
  {
    route: "GET /v1/jobs/{id}/events",
    call: ({ job }, auth) => api(`/v1/jobs/${job}/events`, { headers: { ...auth, upgrade: "websocket" } }),
  },
  {
    route: "POST /v1/jobs/{id}/events/ticket",
    call: ({ job }, auth) => api(`/v1/jobs/${job}/events/ticket`, { method: "POST", headers: auth }),
  },
  {
    route: "POST /v1/jobs/{id}/cancel",
    call: ({ job }, auth) => api(`/v1/jobs/${job}/cancel`, { method: "POST", headers: auth }),
  },
  {
    route: "DELETE /v1/jobs/{id}",
    call: ({ job }, auth) => api(`/v1/jobs/${job}`, { method: "DELETE", headers: auth }),
  },
  {
    route: "DELETE /v1/keys/{id}",
    call: ({ key }, auth) => api(`/v1/keys/${key}`, { method: "DELETE", headers: auth }),
  },
  {
    route: "DELETE /v1/webhooks/{id}",
    call: ({ webhook }, auth) => api(`/v1/webhooks/${webhook}`, { method: "DELETE", headers: auth }),
  },
  {
    route: "GET /v1/webhooks/{id}/deliveries",
    call: ({ webhook }, auth) => api(`/v1/webhooks/${webhook}/deliveries`, { headers: auth }),
  },
  { route: "GET /v1/uploads/{id}", call: ({ upload }, auth) => api(`/v1/uploads/${upload}`, { headers: auth }) },
  {
    route: "PUT /v1/uploads/{id}/parts/{n}",
    call: ({ upload }, auth) =>
      api(`/v1/uploads/${upload}/parts/1`, { method: "PUT", body: "x", headers: { ...auth, "content-length": "1" } }),
  },
  {
    route: "POST /v1/uploads/{id}/complete",
    call: ({ upload }, auth) => api(`/v1/uploads/${upload}/complete`, { method: "POST", headers: auth }),
  },
  {
    route: "POST /v1/webhooks/{id}/rotate-secret",
    call: ({ webhook }, auth) => api(`/v1/webhooks/${webhook}/rotate-secret`, { method: "POST", headers: auth }),
  },
  {
    route: "POST /v1/webhooks/{id}/test",
    call: ({ webhook }, auth) => api(`/v1/webhooks/${webhook}/test`, { method: "POST", headers: auth }),
  },
  {
    route: "POST /v1/webhooks/{id}/enable",
    call: ({ webhook }, auth) => api(`/v1/webhooks/${webhook}/enable`, { method: "POST", headers: auth }),
  },
  {
    route: "POST /v1/webhooks/{id}/deliveries/{delivery_id}/resend",
    call: ({ webhook }, auth) =>
      api(`/v1/webhooks/${webhook}/deliveries/whd_01ARZ3NDEKTSV4RRFFQ69G5FAV/resend`, {
        method: "POST",
        headers: auth,
      }),
  },
];

describe("tenant isolation", () => {
  it.each(ROUTES)("$route answers another user's id as not found", async ({ call }) => {
    const { alice, job, key, webhook, upload } = await owner();
    const mallory = await createUserWithKey();
    const res = await call({ job: job.id, key: key.id, webhook: webhook.id, upload: upload.id }, mallory.auth);
    expect(res.status).toBe(404);
    expect(Problem.parse(await res.json()).code).toBe("not_found");
    // Nothing changed for the owner: the job is where it was, the key still works.
    const mine = JobResource.parse(await (await api(`/v1/jobs/${job.id}`, { headers: alice.auth })).json());
    expect(mine.status).toBe("queued");
    expect((await api("/v1/jobs", { headers: { authorization: `Bearer ${key.key}` } })).status).toBe(200);
    expect((await api(`/v1/webhooks/${webhook.id}/deliveries`, { headers: alice.auth })).status).toBe(200);
  });

  it("keeps lists to the caller's own objects", async () => {
    const { job, key } = await owner();
    const mallory = await createUserWithKey();
    const jobs = (await (await api("/v1/jobs?limit=100", { headers: mallory.auth })).json()) as {
      data: { id: string }[];
    };
    expect(jobs.data.map((j) => j.id)).not.toContain(job.id);
    const keys = await (await api("/v1/keys", { headers: mallory.auth })).text();
    expect(keys).not.toContain(key.id);
  });

  it("does not let a ticket for one job open another's socket", async () => {
    const { alice, job } = await owner();
    const other = JobResource.parse(
      await (
        await api("/v1/jobs", { method: "POST", body: uploadForm(TINY_PNG, "b.png"), headers: alice.auth })
      ).json(),
    );
    const { ticket } = (await (
      await api(`/v1/jobs/${job.id}/events/ticket`, { method: "POST", headers: alice.auth })
    ).json()) as {
      ticket: string;
    };
    const res = await api(`/v1/jobs/${other.id}/events?ticket=${ticket}`, { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(401);
  });

  it("covers every route that takes an id", async () => {
    const doc = (await (await api("/v1/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
    const withId = Object.entries(doc.paths)
      .filter(([path]) => path.includes("{id}") && !path.startsWith("/v1/admin/"))
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(withId.sort()).toEqual(ROUTES.map((r) => r.route).sort());
  });
});
