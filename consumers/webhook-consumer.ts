import { and, eq, isNull } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { Webhook } from "standardwebhooks";
import {
  createLogger,
  EGRESS_TARGET_HEADER,
  EGRESS_TIMEOUT_HEADER,
  EgressResult,
  WebhookDeliveryType,
  WebhookMessage,
} from "../contracts";
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
    const headers = {
      "content-type": "application/json",
      "user-agent": "Verbatim-Webhooks/1",
      "webhook-id": event.id,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": secrets.map((secret) => new Webhook(secret).sign(event.id, now, event.payload)).join(" "),
      "x-request-id": request_id,
    };
    ({ status, error } = await send(endpoint.url, event.payload, headers, config));
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

/**
 * POSTs one delivery: straight from the Worker on Cloudflare, or through the one-machine stack's
 * egress proxy (EGRESS_PROXY_URL), which checks the address it connects to. The receiver's status,
 * or why there is none.
 */
async function send(
  url: string,
  payload: string,
  headers: Record<string, string>,
  config: Config,
): Promise<{ status: number | null; error: string | null }> {
  const judged = (status: number) => ({
    status,
    error:
      status >= 300 && status < 400
        ? `answered ${status}: redirects are not followed`
        : status >= 400
          ? `answered ${status}`
          : null,
  });
  if (config.EGRESS_PROXY_URL) {
    const res = await fetch(new URL("/deliver", config.EGRESS_PROXY_URL), {
      method: "POST",
      body: payload,
      headers: { ...headers, [EGRESS_TARGET_HEADER]: url, [EGRESS_TIMEOUT_HEADER]: String(DELIVERY_TIMEOUT_MS) },
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS + 5_000),
    }).catch(() => null);
    const result = EgressResult.safeParse(res?.ok ? await res.json() : null);
    if (!result.success) return { status: null, error: "not sent: the egress proxy did not answer" };
    if (result.data.outcome === "answered") return judged(result.data.status);
    return {
      status: null,
      error: result.data.outcome === "refused" ? `refused to send: ${result.data.reason}` : result.data.reason,
    };
  }
  try {
    const res = await fetch(url, {
      method: "POST",
      body: payload,
      redirect: "manual",
      signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      headers,
    });
    await res.body?.cancel();
    return judged(res.status);
  } catch (err) {
    // What happened, in words; the runtime's own text ("internal error; reference = …") says nothing.
    const timedOut = err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
    return {
      status: null,
      error: timedOut
        ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
        : "could not connect: the endpoint refused the connection, could not be reached, or its TLS failed",
    };
  }
}
