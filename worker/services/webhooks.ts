import { and, desc, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { ulid } from "ulid";
import {
  type Job,
  type WebhookDelivery,
  WebhookDeliveryType,
  type WebhookEndpoint,
  type WebhookEventType,
  WebhookEventType as WebhookEventTypeSchema,
  type WebhookMessage,
  WebhookPayload,
} from "../../contracts";
import type { Config } from "../config";
import { webhookDeliveries, webhookEndpoints, webhookEvents } from "../db/schema";
import { ApiError } from "../errors";
import { outboundUrlProblem } from "../lib/outbound-url";
import { seal } from "../lib/secret-box";
import { toResource } from "./job-resource";

type EndpointRow = typeof webhookEndpoints.$inferSelect;

const view = (row: EndpointRow): WebhookEndpoint => ({
  id: row.id,
  url: row.url,
  events: row.events.map((e) => WebhookEventTypeSchema.parse(e)),
  description: row.description,
  created_at: row.created_at,
  disabled_at: row.disabled_at,
  disabled_reason: row.disabled_reason,
  failure_streak: row.failure_streak,
});

/** Refuses URLs the platform must not call (see lib/outbound-url.ts) with 422 `validation_failed`. */
export function assertDeliverable(url: string, config: Config): void {
  const problem = outboundUrlProblem(url, {
    production: config.ENVIRONMENT === "production",
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
  });
  if (problem) throw new ApiError("validation_failed", `url: ${problem}`);
}

/** A new endpoint; its signing secret (Standard Webhooks `whsec_…`) is returned this once and stored sealed. */
export async function createEndpoint(
  db: D1Database,
  config: Config,
  userId: string,
  request: { url: string; events: WebhookEventType[]; description?: string | undefined },
): Promise<WebhookEndpoint & { secret: string }> {
  assertDeliverable(request.url, config);
  const secret = newSecret();
  const row: EndpointRow = {
    id: `whk_${ulid()}`,
    user_id: userId,
    url: request.url,
    events: [...new Set(request.events)],
    description: request.description ?? null,
    secret_enc: await seal(secret, config.WEBHOOK_SECRETS_KEY),
    previous_secret_enc: null,
    previous_secret_until: null,
    created_at: new Date().toISOString(),
    deleted_at: null,
    disabled_at: null,
    disabled_reason: null,
    failure_streak: 0,
  };
  await drizzle(db).insert(webhookEndpoints).values(row);
  return { ...view(row), secret };
}

const mine = (userId: string, id?: string) =>
  and(
    eq(webhookEndpoints.user_id, userId),
    isNull(webhookEndpoints.deleted_at),
    ...(id ? [eq(webhookEndpoints.id, id)] : []),
  );

export async function listEndpoints(db: D1Database, userId: string): Promise<WebhookEndpoint[]> {
  const rows = await drizzle(db).select().from(webhookEndpoints).where(mine(userId)).orderBy(desc(webhookEndpoints.id));
  return rows.map(view);
}

/** The caller's endpoint, or 404 as for a missing one. */
export async function ownedEndpoint(db: D1Database, userId: string, id: string): Promise<WebhookEndpoint> {
  const row = await drizzle(db).select().from(webhookEndpoints).where(mine(userId, id)).get();
  if (!row) throw new ApiError("not_found", `no webhook endpoint ${id}`);
  return view(row);
}

export async function deleteEndpoint(db: D1Database, userId: string, id: string): Promise<void> {
  await ownedEndpoint(db, userId, id);
  await drizzle(db).update(webhookEndpoints).set({ deleted_at: new Date().toISOString() }).where(mine(userId, id));
}

export async function listDeliveries(db: D1Database, endpointId: string, limit = 100): Promise<WebhookDelivery[]> {
  const rows = await drizzle(db)
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpoint_id, endpointId))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit);
  return rows.map((row) => ({ ...row, type: WebhookDeliveryType.parse(row.type) }));
}

const EVENT_OF: Partial<Record<Job["status"], WebhookEventType>> = {
  succeeded: "job.succeeded",
  failed: "job.failed",
  canceled: "job.canceled",
};

/**
 * Announces a job's terminal status: the event (id `eventId`, stable, so receivers can deduplicate)
 * is stored once with its payload, and one message per subscribed, enabled endpoint is queued.
 * Running it again for the same event queues the messages again: deliveries are at least once.
 */
export async function publishJobEvent(env: Env, job: Job, eventId: string): Promise<number> {
  const type = EVENT_OF[job.status];
  if (!type) return 0;
  const orm = drizzle(env.DB);
  const endpoints = (
    await orm
      .select({ id: webhookEndpoints.id, events: webhookEndpoints.events })
      .from(webhookEndpoints)
      .where(and(mine(job.user_id), isNull(webhookEndpoints.disabled_at)))
  ).filter((endpoint) => endpoint.events.includes(type));
  if (endpoints.length === 0) return 0;
  const payload: WebhookPayload = { type, timestamp: job.finished_at ?? job.updated_at, data: toResource(job) };
  await orm
    .insert(webhookEvents)
    .values({
      id: eventId,
      user_id: job.user_id,
      type,
      payload: JSON.stringify(payload),
      created_at: payload.timestamp,
    })
    .onConflictDoNothing();
  const messages = endpoints.map(
    (endpoint): WebhookMessage => ({ v: 1, event_id: eventId, endpoint_id: endpoint.id, request_id: job.request_id }),
  );
  for (let start = 0; start < messages.length; start += 100) {
    await env.WEBHOOK_QUEUE.sendBatch(
      messages.slice(start, start + 100).map((body) => ({ body, contentType: "json" as const })),
    );
  }
  return messages.length;
}

/** Records one delivery attempt, and the endpoint's failure streak (disabling it past the limit). */
export async function recordDelivery(
  db: D1Database,
  config: Config,
  attempt: Omit<WebhookDelivery, "id" | "at">,
): Promise<{ disabled: boolean }> {
  const orm = drizzle(db);
  const at = new Date().toISOString();
  await orm.insert(webhookDeliveries).values({ ...attempt, id: `whd_${ulid()}`, at });
  if (attempt.ok) {
    await orm.update(webhookEndpoints).set({ failure_streak: 0 }).where(eq(webhookEndpoints.id, attempt.endpoint_id));
    return { disabled: false };
  }
  const row = await db
    .prepare("UPDATE webhook_endpoints SET failure_streak = failure_streak + 1 WHERE id = ? RETURNING failure_streak")
    .bind(attempt.endpoint_id)
    .first<{ failure_streak: number }>();
  if ((row?.failure_streak ?? 0) < config.WEBHOOK_DISABLE_AFTER) return { disabled: false };
  await orm
    .update(webhookEndpoints)
    .set({
      disabled_at: at,
      disabled_reason: `${row?.failure_streak} deliveries in a row failed; last: ${attempt.error ?? `HTTP ${attempt.status_code}`}`,
    })
    .where(and(eq(webhookEndpoints.id, attempt.endpoint_id), isNull(webhookEndpoints.disabled_at)));
  return { disabled: true };
}

/** How long a rotated-out secret keeps signing, so receivers can switch without missing a delivery. */
const ROTATION_OVERLAP_MS = 86_400_000;

const newSecret = () => `whsec_${crypto.getRandomValues(new Uint8Array(32)).toBase64()}`;

/**
 * A new signing secret for the endpoint (returned this once). For 24 hours deliveries carry a
 * signature by the old secret too, so a receiver switching over never rejects one.
 */
export async function rotateSecret(
  db: D1Database,
  config: Config,
  userId: string,
  id: string,
): Promise<WebhookEndpoint & { secret: string; previous_secret_until: string }> {
  await ownedEndpoint(db, userId, id);
  const orm = drizzle(db);
  const current = await orm.select().from(webhookEndpoints).where(mine(userId, id)).get();
  if (!current) throw new ApiError("not_found", `no webhook endpoint ${id}`);
  const secret = newSecret();
  const until = new Date(Date.now() + ROTATION_OVERLAP_MS).toISOString();
  await orm
    .update(webhookEndpoints)
    .set({
      secret_enc: await seal(secret, config.WEBHOOK_SECRETS_KEY),
      previous_secret_enc: current.secret_enc,
      previous_secret_until: until,
    })
    .where(mine(userId, id));
  return { ...(await ownedEndpoint(db, userId, id)), secret, previous_secret_until: until };
}

/** Turns a disabled endpoint back on, its failure streak reset. */
export async function enableEndpoint(db: D1Database, userId: string, id: string): Promise<WebhookEndpoint> {
  await ownedEndpoint(db, userId, id);
  await drizzle(db)
    .update(webhookEndpoints)
    .set({ disabled_at: null, disabled_reason: null, failure_streak: 0 })
    .where(mine(userId, id));
  return ownedEndpoint(db, userId, id);
}

/** Sends the event of one of the endpoint's deliveries again (same event id: receivers deduplicate). */
export async function resendDelivery(env: Env, userId: string, endpointId: string, deliveryId: string): Promise<void> {
  const endpoint = await ownedEndpoint(env.DB, userId, endpointId);
  if (endpoint.disabled_at) throw new ApiError("invalid_transition", "the endpoint is disabled: enable it first");
  const orm = drizzle(env.DB);
  const delivery = await orm
    .select({ event_id: webhookDeliveries.event_id })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpoint_id, endpointId)))
    .get();
  const event = delivery
    ? await orm.select().from(webhookEvents).where(eq(webhookEvents.id, delivery.event_id)).get()
    : undefined;
  if (!event) throw new ApiError("not_found", `no delivery ${deliveryId} of endpoint ${endpointId}`);
  const payload = WebhookPayload.parse(JSON.parse(event.payload));
  const message: WebhookMessage = {
    v: 1,
    event_id: event.id,
    endpoint_id: endpointId,
    request_id: payload.type === "webhook.test" ? `resend-${deliveryId}` : payload.data.request_id,
  };
  await env.WEBHOOK_QUEUE.send(message, { contentType: "json" });
}

/** Sends a `webhook.test` event to the endpoint, so its owner can check the receiver end to end. */
export async function sendTestEvent(env: Env, userId: string, endpointId: string, requestId: string): Promise<string> {
  const endpoint = await ownedEndpoint(env.DB, userId, endpointId);
  if (endpoint.disabled_at) throw new ApiError("invalid_transition", "the endpoint is disabled: enable it first");
  const eventId = `evt_test_${ulid()}`;
  const payload: WebhookPayload = {
    type: "webhook.test",
    timestamp: new Date().toISOString(),
    data: {
      endpoint_id: endpointId,
      message: "A test event from Verbatim: this endpoint receives and verifies deliveries.",
    },
  };
  await drizzle(env.DB)
    .insert(webhookEvents)
    .values({
      id: eventId,
      user_id: userId,
      type: payload.type,
      payload: JSON.stringify(payload),
      created_at: payload.timestamp,
    });
  const message: WebhookMessage = { v: 1, event_id: eventId, endpoint_id: endpointId, request_id: requestId };
  await env.WEBHOOK_QUEUE.send(message, { contentType: "json" });
  return eventId;
}
