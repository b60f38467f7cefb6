import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { CreatedWebhookEndpoint, Problem, WebhookEndpoint } from "../../contracts";
import worker from "../index";
import { open } from "../lib/secret-box";
import { coordinatorFor } from "../services/coordinator";
import { captureSends, createQueuedJob, createUserWithKey, untilAnnounced } from "../test/helpers";

const register = (auth: Record<string, string>, body: unknown) =>
  SELF.fetch("https://api.test/v1/webhooks", {
    method: "POST",
    body: JSON.stringify(body),
    headers: { ...auth, "content-type": "application/json" },
  });

describe("webhook endpoints", () => {
  it("registers an endpoint with a Standard Webhooks secret shown once and kept encrypted", async () => {
    const { auth } = await createUserWithKey();
    const res = await register(auth, { url: "https://hooks.example.test/in", events: ["job.failed"] });
    expect(res.status).toBe(201);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const created = CreatedWebhookEndpoint.parse(await res.json());
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ events: ["job.failed"], disabled_at: null, failure_streak: 0 });
    const row = await env.DB.prepare("SELECT * FROM webhook_endpoints WHERE id = ?").bind(created.id).first();
    expect(JSON.stringify(row)).not.toContain(created.secret.slice(6));
    expect(await open(String(row?.secret_enc), env.WEBHOOK_SECRETS_KEY as string)).toBe(created.secret);
    const listed = (await (await SELF.fetch("https://api.test/v1/webhooks", { headers: auth })).json()) as {
      data: unknown[];
    };
    expect(listed.data.map((e) => WebhookEndpoint.parse(e).id)).toEqual([created.id]);
    expect(JSON.stringify(listed)).not.toContain("whsec_");
  });

  it.each([
    ["ftp://hooks.example.test/in", "https"],
    ["http://127.0.0.1:8080/in", "private"],
    ["https://localhost/in", "local name"],
    ["https://169.254.169.254/latest/meta-data", "metadata"],
    ["https://10.1.2.3/in", "private"],
    ["https://[::1]/in", "private"],
    ["https://[::ffff:127.0.0.1]/in", "private"],
    ["https://user:pass@hooks.example.test/in", "credentials"],
  ])("refuses %s (%s)", async (url, reason) => {
    const { auth } = await createUserWithKey();
    const res = await register(auth, { url });
    expect(res.status).toBe(422);
    const problem = Problem.parse(await res.json());
    expect(problem.code).toBe("validation_failed");
    expect(problem.detail).toContain(reason);
  });

  it("needs the webhooks:manage scope", async () => {
    const { auth } = await createUserWithKey();
    const key = (await (
      await SELF.fetch("https://api.test/v1/keys", {
        method: "POST",
        body: JSON.stringify({ name: "jobs only", scopes: ["jobs:read", "jobs:write"] }),
        headers: { ...auth, "content-type": "application/json" },
      })
    ).json()) as { key: string };
    const res = await register({ authorization: `Bearer ${key.key}` }, { url: "https://hooks.example.test/in" });
    expect(res.status).toBe(403);
  });

  it("announces a job's end once: the event is stored with the job and queued for each subscribed endpoint", async () => {
    const { auth, userId } = await createUserWithKey();
    await register(auth, { url: "https://a.example.test/in" });
    await register(auth, { url: "https://b.example.test/in", events: ["job.failed"] });
    // A job ends; the outbox is sent by the object's alarm, after the status is stored.
    const job = await createQueuedJob(userId);
    const sent = captureSends(env.WEBHOOK_QUEUE);
    await coordinatorFor(env, job.id).transition("canceled");
    // Sent, and nothing more is pending: no alarm is left to send anything again.
    await untilAnnounced(job.id);
    expect(sent()).toHaveLength(1); // only the endpoint for every event
    const event = await env.DB.prepare("SELECT id, type, payload FROM webhook_events WHERE id LIKE ?")
      .bind(`evt_${job.id}_%`)
      .first<{ id: string; type: string; payload: string }>();
    expect(event?.type).toBe("job.canceled");
    expect(event?.id).toMatch(new RegExp(`^evt_${job.id}_\\d+$`));
    expect(JSON.parse(event?.payload ?? "{}")).toMatchObject({
      type: "job.canceled",
      data: { id: job.id, status: "canceled", request_id: "req-test" },
    });
  });

  it("sends nothing to a deleted endpoint", async () => {
    const { auth, userId } = await createUserWithKey();
    const created = CreatedWebhookEndpoint.parse(
      await (await register(auth, { url: "https://a.example.test/in" })).json(),
    );
    expect(
      (await SELF.fetch(`https://api.test/v1/webhooks/${created.id}`, { method: "DELETE", headers: auth })).status,
    ).toBe(204);
    const job = await createQueuedJob(userId);
    const sent = captureSends(env.WEBHOOK_QUEUE);
    await coordinatorFor(env, job.id).transition("canceled");
    await untilAnnounced(job.id);
    expect(sent()).toEqual([]);
  });

  it("records a delivery that got no answer in words, not the runtime's text", async () => {
    const { auth } = await createUserWithKey();
    // A name that resolves nowhere: the Worker's own fetch fails (no egress proxy in this runtime).
    const endpoint = CreatedWebhookEndpoint.parse(
      await (await register(auth, { url: "https://nowhere.invalid/in" })).json(),
    );
    const sent = captureSends(env.WEBHOOK_QUEUE);
    const test = await SELF.fetch(`https://api.test/v1/webhooks/${endpoint.id}/test`, {
      method: "POST",
      headers: auth,
    });
    expect(test.status).toBeLessThan(300);
    const [message] = sent();
    const batch = createMessageBatch("verbatim-webhooks", [
      { id: "msg-1", timestamp: Date.now(), attempts: 1, body: message },
    ]);
    await worker.queue(batch, env);
    await getQueueResult(batch, createExecutionContext());
    const list = (await (
      await SELF.fetch(`https://api.test/v1/webhooks/${endpoint.id}/deliveries`, { headers: auth })
    ).json()) as { data: Array<{ ok: boolean; error: string | null }> };
    expect(list.data[0]).toMatchObject({
      ok: false,
      error: "could not connect: the endpoint refused the connection, could not be reached, or its TLS failed",
    });
  });
});
