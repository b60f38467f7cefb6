import { createRoute, z } from "@hono/zod-openapi";
import { CreatedWebhookEndpoint, CreateWebhookEndpoint, WebhookDelivery, WebhookEndpoint } from "../../contracts";
import { newApp } from "../app";
import { requireScope } from "../middleware/auth";
import {
  createEndpoint,
  deleteEndpoint,
  enableEndpoint,
  listDeliveries,
  listEndpoints,
  ownedEndpoint,
  resendDelivery,
  rotateSecret,
  sendTestEvent,
} from "../services/webhooks";
import { authErrors, jsonBodyErrors, problem } from "./shared";

const EndpointIdParam = z.object({
  id: z
    .string()
    .regex(/^whk_[0-9A-HJKMNP-TV-Z]{26}$/, "an endpoint id such as whk_01JD…")
    .openapi({ param: { name: "id", in: "path" } }),
});

const badEndpointId = problem("an id that is not an endpoint id (`validation_failed`)");

const create = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "post",
  path: "/v1/webhooks",
  operationId: "createWebhookEndpoint",
  summary: "Register a webhook endpoint for job events; its signing secret is in this answer only",
  description:
    "Deliveries are signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature`). The URL must be https (http is accepted in development) and may not point at private, loopback, link-local or metadata addresses.",
  request: { body: { required: true, content: { "application/json": { schema: CreateWebhookEndpoint } } } },
  responses: {
    201: {
      description: "the endpoint, with `secret` shown this once",
      content: { "application/json": { schema: CreatedWebhookEndpoint } },
    },
    ...authErrors("webhooks:manage"),
    ...jsonBodyErrors,
    422: problem("a URL the platform may not call, or bad events (`validation_failed`)"),
  },
});

const list = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "get",
  path: "/v1/webhooks",
  operationId: "listWebhookEndpoints",
  summary: "The caller's webhook endpoints (never their secrets)",
  responses: {
    200: {
      description: "the endpoints",
      content: { "application/json": { schema: z.object({ data: z.array(WebhookEndpoint) }) } },
    },
    ...authErrors("webhooks:manage"),
  },
});

const remove = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "delete",
  path: "/v1/webhooks/{id}",
  operationId: "deleteWebhookEndpoint",
  summary: "Delete a webhook endpoint: nothing more is sent to it",
  request: { params: EndpointIdParam },
  responses: {
    204: { description: "deleted" },
    ...authErrors("webhooks:manage"),
    404: problem("no such endpoint for this caller"),
    422: badEndpointId,
  },
});

const deliveries = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "get",
  path: "/v1/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  summary: "The endpoint's last 100 delivery attempts, newest first: status, error, duration",
  request: { params: EndpointIdParam },
  responses: {
    200: {
      description: "delivery attempts",
      content: { "application/json": { schema: z.object({ data: z.array(WebhookDelivery) }) } },
    },
    ...authErrors("webhooks:manage"),
    404: problem("no such endpoint for this caller"),
    422: badEndpointId,
  },
});

const rotate = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "post",
  path: "/v1/webhooks/{id}/rotate-secret",
  operationId: "rotateWebhookSecret",
  summary: "A new signing secret (in this answer only); for 24 hours deliveries are signed with the old one too",
  request: { params: EndpointIdParam },
  responses: {
    200: {
      description: "the endpoint with its new secret",
      content: {
        "application/json": { schema: CreatedWebhookEndpoint.extend({ previous_secret_until: z.string() }) },
      },
    },
    ...authErrors("webhooks:manage"),
    404: problem("no such endpoint for this caller"),
    422: badEndpointId,
  },
});

const enable = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "post",
  path: "/v1/webhooks/{id}/enable",
  operationId: "enableWebhookEndpoint",
  summary: "Turn a disabled endpoint back on (its failure streak reset)",
  request: { params: EndpointIdParam },
  responses: {
    200: { description: "the endpoint", content: { "application/json": { schema: WebhookEndpoint } } },
    ...authErrors("webhooks:manage"),
    404: problem("no such endpoint for this caller"),
    422: badEndpointId,
  },
});

const resend = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "post",
  path: "/v1/webhooks/{id}/deliveries/{delivery_id}/resend",
  operationId: "resendWebhookDelivery",
  summary: "Send a delivery's event again (same webhook-id, so receivers can deduplicate)",
  request: {
    params: EndpointIdParam.extend({
      delivery_id: z
        .string()
        .regex(/^whd_[0-9A-HJKMNP-TV-Z]{26}$/)
        .openapi({ param: { name: "delivery_id", in: "path" } }),
    }),
  },
  responses: {
    202: { description: "queued" },
    ...authErrors("webhooks:manage"),
    404: problem("no such endpoint or delivery for this caller"),
    409: problem("the endpoint is disabled (`invalid_transition`)"),
    422: problem("an id that is not an endpoint id, or a delivery id that is not one (`validation_failed`)"),
  },
});

const test = createRoute({
  tags: ["Webhooks"],
  middleware: [requireScope("webhooks:manage")] as const,
  method: "post",
  path: "/v1/webhooks/{id}/test",
  operationId: "sendWebhookTestEvent",
  summary: "Send a `webhook.test` event to the endpoint (signed like every delivery; logged in its deliveries)",
  request: { params: EndpointIdParam },
  responses: {
    202: {
      description: "queued",
      content: { "application/json": { schema: z.object({ event_id: z.string() }) } },
    },
    ...authErrors("webhooks:manage"),
    404: problem("no such endpoint for this caller"),
    409: problem("the endpoint is disabled (`invalid_transition`)"),
    422: badEndpointId,
  },
});

export const webhookRoutes = newApp()
  .openapi(create, async (c) => {
    const created = await createEndpoint(c.env.DB, c.get("config"), c.get("user").id, c.req.valid("json"));
    c.get("log").info("webhook endpoint created", { endpoint_id: created.id });
    return c.json(created, 201, { "cache-control": "no-store" });
  })
  .openapi(list, async (c) => c.json({ data: await listEndpoints(c.env.DB, c.get("user").id) }, 200))
  .openapi(remove, async (c) => {
    await deleteEndpoint(c.env.DB, c.get("user").id, c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(rotate, async (c) => {
    const rotated = await rotateSecret(c.env.DB, c.get("config"), c.get("user").id, c.req.valid("param").id);
    c.get("log").info("webhook secret rotated", { endpoint_id: rotated.id });
    return c.json(rotated, 200, { "cache-control": "no-store" });
  })
  .openapi(enable, async (c) => c.json(await enableEndpoint(c.env.DB, c.get("user").id, c.req.valid("param").id), 200))
  .openapi(resend, async (c) => {
    const { id, delivery_id } = c.req.valid("param");
    await resendDelivery(c.env, c.get("user").id, id, delivery_id);
    return c.body(null, 202);
  })
  .openapi(test, async (c) => {
    const eventId = await sendTestEvent(c.env, c.get("user").id, c.req.valid("param").id, c.get("requestId"));
    return c.json({ event_id: eventId }, 202);
  })
  .openapi(deliveries, async (c) => {
    const endpoint = await ownedEndpoint(c.env.DB, c.get("user").id, c.req.valid("param").id);
    return c.json({ data: await listDeliveries(c.env.DB, endpoint.id) }, 200);
  });
