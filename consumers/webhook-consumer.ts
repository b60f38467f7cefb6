import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Webhook } from "standardwebhooks";
import { createLogger, WebhookDeliveryType, WebhookMessage } from "../contracts";
import type { Config } from "../worker/config";
import { webhookEndpoints, webhookEvents } from "../worker/db/schema";
import { outboundUrlProblem } from "../worker/lib/outbound-url";
import { open } from "../worker/lib/secret-box";
import { recordDelivery } from "../worker/services/webhooks";

/** An endpoint gets this long to answer. */
const DELIVERY_TIMEOUT_MS = 10_000;

/**
 * Delivers one event to one endpoint, signed per Standard Webhooks (`webhook-id` is the event's id,
 * the same on every retry; `webhook-timestamp`; `webhook-signature` = `v1,` + HMAC-SHA256 with the
 * endpoint's `whsec_` secret). Any 2xx is success; anything else (redirects are not followed) is
 * retried after WEBHOOK_RETRY_SECONDS, every attempt recorded; WEBHOOK_DISABLE_AFTER failures in a
 * row disable the endpoint.
 */
export async function handleWebhook(message: Message<unknown>, env: Env, config: Config): Promise<void> {
  const base = createLogger("consumer", config.LOG_LEVEL);
  const parsed = WebhookMessage.safeParse(message.body);
  if (!parsed.success) {
    base.error("malformed webhook message dropped", { message_id: message.id });
    message.ack();
    return;
  }
  const { event_id, endpoint_id, request_id } = parsed.data;
  const log = base.with({ request_id, stage: "webhook", event_id, endpoint_id, attempt: message.attempts });
  const orm = drizzle(env.DB);
  const endpoint = await orm
    .select()
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.id, endpoint_id),
        isNull(webhookEndpoints.deleted_at),
        isNull(webhookEndpoints.disabled_at),
      ),
    )
    .get();
  const event = await orm.select().from(webhookEvents).where(eq(webhookEvents.id, event_id)).get();
  if (!endpoint || !event) {
    log.info("webhook not sent: the endpoint is gone or disabled", { found_event: Boolean(event) });
    message.ack();
    return;
  }
  const type = WebhookDeliveryType.parse(event.type);
  const started = Date.now();
  let status: number | null = null;
  let error: string | null = outboundUrlProblem(endpoint.url, {
    production: config.ENVIRONMENT === "production",
    allowPrivate: config.WEBHOOK_ALLOW_PRIVATE,
  });
  if (error) error = `refused to send: ${error}`;
  else {
    // Signed by the current secret, and by the previous one while a rotation's overlap lasts.
    const sealed = [endpoint.secret_enc];
    if (endpoint.previous_secret_enc && (endpoint.previous_secret_until ?? "") > new Date().toISOString()) {
      sealed.push(endpoint.previous_secret_enc);
    }
    const secrets = await Promise.all(sealed.map((s) => open(s, config.WEBHOOK_SECRETS_KEY)));
    const now = new Date();
    try {
      const res = await fetch(endpoint.url, {
        method: "POST",
        body: event.payload,
        redirect: "manual",
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
        headers: {
          "content-type": "application/json",
          "user-agent": "Verbatim-Webhooks/1",
          "webhook-id": event.id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": secrets
            .map((secret) => new Webhook(secret).sign(event.id, now, event.payload))
            .join(" "),
          "x-request-id": request_id,
        },
      });
      status = res.status;
      await res.body?.cancel();
      if (status >= 300 && status < 400) error = `answered ${status}: redirects are not followed`;
      else if (status >= 400) error = `answered ${status}`;
    } catch (err) {
      error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  }
  const ok = error === null;
  const { disabled } = await recordDelivery(env.DB, config, {
    event_id,
    endpoint_id,
    type,
    attempt: message.attempts,
    status_code: status,
    ok,
    error,
    duration_ms: Date.now() - started,
  });
  const delay = config.WEBHOOK_RETRY_SECONDS[message.attempts - 1];
  if (ok) log.info("webhook delivered", { status_code: status, duration_ms: Date.now() - started });
  else if (disabled) log.warn("webhook endpoint disabled after repeated failures", { error });
  else if (delay === undefined) log.warn("webhook given up after its last attempt", { error });
  else {
    log.warn("webhook will be retried", { error, delay_s: delay });
    message.retry({ delaySeconds: delay });
    return;
  }
  message.ack();
}
