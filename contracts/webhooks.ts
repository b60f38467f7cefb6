import { z } from "zod";
import { JobResource } from "./job";

/** What a webhook endpoint can subscribe to: a job reaching each terminal status. */
export const WEBHOOK_EVENTS = ["job.succeeded", "job.failed", "job.canceled"] as const;
export const WebhookEventType = z.enum(WEBHOOK_EVENTS);
export type WebhookEventType = z.infer<typeof WebhookEventType>;
/** What a delivery can carry: a job event, or the test event an owner sends to check an endpoint. */
export const WebhookDeliveryType = z.enum([...WEBHOOK_EVENTS, "webhook.test"]);
export type WebhookDeliveryType = z.infer<typeof WebhookDeliveryType>;

export const WebhookEndpoint = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(WebhookEventType),
  description: z.string().nullable(),
  created_at: z.string(),
  /** Set when deliveries kept failing (`disabled_reason` says why); nothing is sent until it is created anew. */
  disabled_at: z.string().nullable(),
  disabled_reason: z.string().nullable(),
  /** Deliveries that failed in a row (reset by a success). */
  failure_streak: z.number().int(),
});
export type WebhookEndpoint = z.infer<typeof WebhookEndpoint>;

export const CreatedWebhookEndpoint = WebhookEndpoint.extend({
  secret: z.string().describe("the signing secret (whsec_…): shown this once, kept encrypted"),
});

export const CreateWebhookEndpoint = z
  .object({
    url: z.url().max(2048),
    events: z
      .array(WebhookEventType)
      .min(1)
      .default([...WEBHOOK_EVENTS]),
    description: z.string().trim().max(200).optional(),
  })
  .strict();

/**
 * The body of every delivery (Standard Webhooks): the event type, when it happened, and the job as
 * `GET /v1/jobs/{id}` shows it (its `request_id` ties the delivery to the job's logs).
 */
export const WebhookPayload = z.discriminatedUnion("type", [
  z.object({ type: WebhookEventType, timestamp: z.string(), data: JobResource }),
  z.object({
    type: z.literal("webhook.test"),
    timestamp: z.string(),
    data: z.object({ endpoint_id: z.string(), message: z.string() }),
  }),
]);
export type WebhookPayload = z.infer<typeof WebhookPayload>;

/** One delivery attempt, as the endpoint's owner sees it. */
export const WebhookDelivery = z.object({
  id: z.string(),
  event_id: z.string(),
  endpoint_id: z.string(),
  type: WebhookDeliveryType,
  attempt: z.number().int().positive(),
  /** The endpoint's HTTP status; null when it could not be reached. */
  status_code: z.number().int().nullable(),
  ok: z.boolean(),
  error: z.string().nullable(),
  duration_ms: z.number().int(),
  at: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

/** The message on the webhook queue: one event for one endpoint (the payload is stored with the event). */
export const WebhookMessage = z.object({
  v: z.literal(1),
  event_id: z.string(),
  endpoint_id: z.string(),
  request_id: z.string(),
});
export type WebhookMessage = z.infer<typeof WebhookMessage>;
