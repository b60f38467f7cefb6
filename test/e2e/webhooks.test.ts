import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CreatedWebhookEndpoint, JobResource, WebhookDelivery, WebhookEndpoint, WebhookPayload } from "../../contracts";
import { type E2eStack, STACK_WORK_MS, startE2eStack } from "./stack";

/**
 * Webhooks against the stack as `npm run dev` runs it, delivered to a real HTTP receiver on this
 * machine (WEBHOOK_ALLOW_PRIVATE, development only), with retries a second apart and endpoints
 * disabled after three failures in a row.
 */
type Received = { path: string; headers: Record<string, string>; body: string };
const received: Received[] = [];
/** Per path: how many more requests to answer 500 before answering 204. */
const failuresLeft = new Map<string, number>();
let receiver: Server;
let receiverUrl: string;
let stack: E2eStack;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers as Record<string, string>, body });
      const left = failuresLeft.get(path) ?? 0;
      if (left > 0) failuresLeft.set(path, left - 1);
      res.writeHead(left > 0 ? 500 : 204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  stack = await startE2eStack({
    vars: { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_SECONDS: "1,1,1,1", WEBHOOK_DISABLE_AFTER: "3" },
  });
});
afterAll(() => {
  stack?.stop();
  receiver?.close();
});

/** A user of its own, with one endpoint at `path`. */
async function userWithEndpoint(name: string, path: string) {
  const auth = { authorization: `Bearer ${stack.createKey(`${name}@example.test`)}` };
  const res = await stack.call(`/v1/webhooks`, {
    method: "POST",
    body: JSON.stringify({ url: `${receiverUrl}${path}` }),
    headers: { ...auth, "content-type": "application/json" },
  });
  expect(res.status).toBe(201);
  return { auth, endpoint: CreatedWebhookEndpoint.parse(await res.json()) };
}

async function runJob(auth: Record<string, string>, name: string) {
  const png = await stack.fixtures.textImage(`${name}.png`, ["Webhooks tell you when it is done"]);
  const form = new FormData();
  form.append("file", new File([readFileSync(png)], `${name}.png`));
  const job = JobResource.parse(
    await (await stack.call(`/v1/jobs`, { method: "POST", body: form, headers: auth })).json(),
  );
  await expect
    .poll(async () => (await stack.getJobAs(job.id, auth)).status, { timeout: STACK_WORK_MS })
    .toBe("succeeded");
  return job;
}

const deliveries = async (auth: Record<string, string>, id: string) =>
  (
    (await (await stack.call(`/v1/webhooks/${id}/deliveries`, { headers: auth })).json()) as { data: unknown[] }
  ).data.map((d) => WebhookDelivery.parse(d));

describe("webhooks", () => {
  it("delivers one signed event per job end, carrying the job and its request id", async () => {
    const { auth, endpoint } = await userWithEndpoint("hook-ok", "/ok");
    const job = await runJob(auth, "hook-ok");
    await expect.poll(() => received.filter((r) => r.path === "/ok").length, { timeout: STACK_WORK_MS }).toBe(1);
    const [delivery] = received.filter((r) => r.path === "/ok");
    if (!delivery) throw new Error("no delivery");
    // A receiver verifies it with the Standard Webhooks library and the endpoint's secret.
    const payload = WebhookPayload.parse(new Webhook(endpoint.secret).verify(delivery.body, delivery.headers));
    expect(payload).toMatchObject({
      type: "job.succeeded",
      data: { id: job.id, status: "succeeded", request_id: job.request_id },
    });
    expect(delivery.headers["webhook-id"]).toMatch(new RegExp(`^evt_${job.id}_\\d+$`));
    expect(delivery.headers["x-request-id"]).toBe(job.request_id);
    expect(() =>
      new Webhook(`whsec_${btoa("another secret of thirty-two b..")}`).verify(delivery.body, delivery.headers),
    ).toThrow();
    // And by the specification itself, independently of any library: HMAC-SHA256 over
    // "<webhook-id>.<webhook-timestamp>.<body>" with the base64 key after "whsec_".
    const signed = `${delivery.headers["webhook-id"]}.${delivery.headers["webhook-timestamp"]}.${delivery.body}`;
    const expected = createHmac("sha256", Buffer.from(endpoint.secret.slice("whsec_".length), "base64"))
      .update(signed)
      .digest("base64");
    expect(delivery.headers["webhook-signature"]?.split(" ")).toContain(`v1,${expected}`);
    expect(Math.abs(Number(delivery.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(60);
    // Nothing more arrives for it.
    await new Promise((r) => setTimeout(r, 2000));
    expect(received.filter((r) => r.path === "/ok")).toHaveLength(1);
    expect(await deliveries(auth, endpoint.id)).toMatchObject([
      { attempt: 1, ok: true, status_code: 204, error: null },
    ]);

    // The owner checks the endpoint with a test event: signed the same way, logged the same way.
    const test = await stack.call(`/v1/webhooks/${endpoint.id}/test`, { method: "POST", headers: auth });
    expect(test.status).toBe(202);
    await expect.poll(() => received.filter((r) => r.path === "/ok").length, { timeout: STACK_WORK_MS }).toBe(2);
    const probe = received.filter((r) => r.path === "/ok")[1] as Received;
    const tested = WebhookPayload.parse(new Webhook(endpoint.secret).verify(probe.body, probe.headers));
    expect(tested).toMatchObject({ type: "webhook.test", data: { endpoint_id: endpoint.id } });
    await expect
      .poll(async () => (await deliveries(auth, endpoint.id))[0]?.type, { timeout: STACK_WORK_MS })
      .toBe("webhook.test");
  });

  it("retries a failing endpoint with the same event id until it answers, logging each attempt", async () => {
    failuresLeft.set("/flaky", 2);
    const { auth, endpoint } = await userWithEndpoint("hook-flaky", "/flaky");
    await runJob(auth, "hook-flaky");
    await expect.poll(() => received.filter((r) => r.path === "/flaky").length, { timeout: STACK_WORK_MS }).toBe(3);
    const ids = new Set(received.filter((r) => r.path === "/flaky").map((r) => r.headers["webhook-id"]));
    expect(ids.size).toBe(1);
    await expect.poll(async () => (await deliveries(auth, endpoint.id)).length, { timeout: STACK_WORK_MS }).toBe(3);
    const log = (await deliveries(auth, endpoint.id)).reverse();
    expect(log.map((d) => [d.attempt, d.status_code, d.ok])).toEqual([
      [1, 500, false],
      [2, 500, false],
      [3, 204, true],
    ]);
  });

  it("disables an endpoint that keeps failing, with the reason, and sends it nothing more", async () => {
    failuresLeft.set("/down", 1000);
    const { auth, endpoint } = await userWithEndpoint("hook-down", "/down");
    await runJob(auth, "hook-down");
    const listed = async () =>
      ((await (await stack.call(`/v1/webhooks`, { headers: auth })).json()) as { data: unknown[] }).data.map((e) =>
        WebhookEndpoint.parse(e),
      );
    await expect.poll(async () => (await listed())[0]?.disabled_at ?? null, { timeout: STACK_WORK_MS }).not.toBeNull();
    expect((await listed())[0]?.disabled_reason).toContain("3 deliveries in a row failed");
    const sent = received.filter((r) => r.path === "/down").length;
    expect(sent).toBe(3);
    await runJob(auth, "hook-down-2");
    await new Promise((r) => setTimeout(r, 2000));
    expect(received.filter((r) => r.path === "/down")).toHaveLength(sent);

    // The receiver is fixed: the owner turns the endpoint back on and re-sends the missed event.
    failuresLeft.set("/down", 0);
    const post = (path: string) => stack.call(`/v1/webhooks/${endpoint.id}${path}`, { method: "POST", headers: auth });
    const resendDisabled = await post(`/deliveries/${(await deliveries(auth, endpoint.id))[0]?.id}/resend`);
    expect(resendDisabled.status).toBe(409);
    expect((await post("/enable")).status).toBe(200);
    const [last] = await deliveries(auth, endpoint.id);
    expect((await post(`/deliveries/${last?.id}/resend`)).status).toBe(202);
    await expect
      .poll(() => received.filter((r) => r.path === "/down").length, { timeout: STACK_WORK_MS })
      .toBe(sent + 1);
    expect(received.filter((r) => r.path === "/down").at(-1)?.headers["webhook-id"]).toBe(
      received.filter((r) => r.path === "/down")[0]?.headers["webhook-id"],
    );
    await expect.poll(async () => (await deliveries(auth, endpoint.id))[0]?.ok, { timeout: STACK_WORK_MS }).toBe(true);
  });

  it("rotates the secret without downtime: for a day deliveries verify with the old secret and the new", async () => {
    const { auth, endpoint } = await userWithEndpoint("hook-rotate", "/rotate");
    const res = await stack.call(`/v1/webhooks/${endpoint.id}/rotate-secret`, { method: "POST", headers: auth });
    expect(res.status).toBe(200);
    const rotated = CreatedWebhookEndpoint.parse(await res.json());
    expect(rotated.secret).not.toBe(endpoint.secret);
    await runJob(auth, "hook-rotate");
    await expect.poll(() => received.filter((r) => r.path === "/rotate").length, { timeout: STACK_WORK_MS }).toBe(1);
    const [delivery] = received.filter((r) => r.path === "/rotate");
    if (!delivery) throw new Error("no delivery");
    expect(delivery.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    for (const secret of [rotated.secret, endpoint.secret]) {
      expect(WebhookPayload.parse(new Webhook(secret).verify(delivery.body, delivery.headers)).type).toBe(
        "job.succeeded",
      );
    }
  });
});
