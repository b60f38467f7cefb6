import { signal } from "@preact/signals";
import { type ApiKeyInfo, type Scope, scopesOfRole } from "../../../contracts/api-keys";
import type { Usage } from "../../../contracts/limits";
import type { WebhookDelivery, WebhookEndpoint, WebhookEventType } from "../../../contracts/webhooks";
import { api, unwrap } from "../api/client";
import { formatAmount, formatMilliseconds } from "../format/number";
import { formatBytes } from "../format/size";
import { copyText } from "../lib/clipboard";
import { loadUsage } from "./usage";

/**
 * The account page: usage against the caller's quotas (the shared store of state/usage.ts), its API
 * keys (/v1/keys) and its webhook endpoints with their delivery logs (/v1/webhooks). Controllers
 * call the API and set signals; the views only render them and call these functions. Secrets (a new
 * key, a signing secret) are kept here only until the user dismisses them: the API shows each of
 * them once.
 */

export type { ApiKeyInfo, Scope, WebhookDelivery, WebhookEndpoint, WebhookEventType };

type CreatedKey = ApiKeyInfo & { key: string };

/** What a list or a document fetched from the API is at: loading, failed (the error), or there. */
type Loadable<T> = { loading: boolean; error: unknown; data: T | null };
const idle = <T>(): Loadable<T> => ({ loading: false, error: null, data: null });

/** One control's call (revoke, send test, …): running, its failure, or a note on what it did. */
type Action = { busy: boolean; error: unknown; note: string | null };
export const IDLE_ACTION: Action = { busy: false, error: null, note: null };

// ---------------------------------------------------------------------------------------------
// Pure logic (unit-tested)

/** From this share of a quota on, its meter is shown as a warning. */
const WARN_AT = 0.9;

type MeterLevel = "ok" | "warn" | "full";
export type Meter = {
  id: string;
  label: string;
  used: number;
  limit: number;
  /** 0–100, capped at 100. */
  percent: number;
  level: MeterLevel;
  /** "12 of 5000 pages". */
  text: string;
};

export function meterLevel(used: number, limit: number): MeterLevel {
  if (limit <= 0 || used >= limit) return "full";
  return used / limit >= WARN_AT ? "warn" : "ok";
}

export function meter(id: string, label: string, used: number, limit: number, unit: string): Meter {
  const percent = limit > 0 ? Math.min(100, Math.max(0, (used / limit) * 100)) : 100;
  return {
    id,
    label,
    used,
    limit,
    percent,
    level: meterLevel(used, limit),
    text: `${formatAmount(used)} of ${formatAmount(limit)} ${unit}`,
  };
}

/** The quotas the caller uses up: jobs running at once, and what it submitted in the last 24 hours. */
export function usageMeters(usage: Usage): Meter[] {
  const { limits, day } = usage;
  return [
    meter("concurrent", "Jobs running now", usage.concurrent_jobs, limits.max_concurrent_jobs, "jobs"),
    meter("jobs", "Jobs", day.jobs, limits.daily_jobs, "jobs"),
    meter("pages", "Pages", day.pages, limits.daily_pages, "pages"),
    meter("minutes", "Audio minutes", day.audio_minutes, limits.daily_audio_minutes, "minutes"),
  ];
}

/**
 * What the caller holds open, against its caps: uploads in parts begun and not finished (their
 * number and the bytes they announce) and live API keys.
 */
export function heldMeters(usage: Usage): Meter[] {
  const { limits, open_uploads } = usage;
  const bytes = meter("open-bytes", "Their announced size", open_uploads.bytes, limits.max_open_upload_bytes, "");
  return [
    meter("open-uploads", "Unfinished uploads", open_uploads.count, limits.max_open_uploads, "uploads"),
    { ...bytes, text: `${formatBytes(open_uploads.bytes)} of ${formatBytes(limits.max_open_upload_bytes)}` },
    meter("api-keys", "API keys", usage.api_keys, limits.max_api_keys, "keys"),
  ];
}

/** Why a key cannot be created as filled in (the API's own rules), or null. */
export function keyFormProblem(name: string, scopes: readonly string[]): string | null {
  const trimmed = name.trim();
  if (!trimmed) return "Give the key a name.";
  if (trimmed.length > 100) return "The name may be at most 100 characters.";
  if (scopes.length === 0) return "Choose at least one scope.";
  return null;
}

/** Why an endpoint cannot be added as filled in (the API checks the rest: https, no private addresses), or null. */
export function endpointFormProblem(url: string, events: readonly string[]): string | null {
  const trimmed = url.trim();
  if (!trimmed) return "Enter the endpoint's URL.";
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return "Enter a full URL, such as https://example.com/hooks/verbatim.";
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return "The URL must start with https://.";
  if (trimmed.length > 2048) return "The URL may be at most 2048 characters.";
  if (events.length === 0) return "Choose at least one event.";
  return null;
}

/** A list with `item` added or removed, kept in the order of `all`. */
export function toggled<T extends string>(all: readonly T[], chosen: readonly T[], item: T, on: boolean): T[] {
  return all.filter((x) => (x === item ? on : chosen.includes(x)));
}

/** One delivery attempt in words: "Delivered: HTTP 200 in 85 ms", "Failed: HTTP 500 in 1.2 s", "Failed: timeout". */
export function describeDelivery(d: Pick<WebhookDelivery, "ok" | "status_code" | "error" | "duration_ms">): string {
  const took = formatMilliseconds(d.duration_ms);
  const http = d.status_code === null ? null : `HTTP ${d.status_code}`;
  if (d.ok) return `Delivered: ${http ?? "OK"} in ${took}`;
  const what = [http, d.error].filter(Boolean).join(", ") || "no answer";
  return `Failed: ${what} (after ${took})`;
}

/** The newest recorded attempt of event `eventId` that is not among `known` (ids seen before), if any. */
export function newAttemptOf(
  deliveries: readonly WebhookDelivery[],
  eventId: string,
  known: ReadonlySet<string>,
): WebhookDelivery | undefined {
  // The API lists deliveries newest first.
  return deliveries.find((d) => d.event_id === eventId && !known.has(d.id));
}

/** What an endpoint's state is, for its badge. */
export function endpointState(e: Pick<WebhookEndpoint, "disabled_at" | "failure_streak">): {
  label: string;
  tone: "good" | "bad" | "busy";
} {
  if (e.disabled_at) return { label: "Disabled", tone: "bad" };
  if (e.failure_streak > 0) return { label: `Enabled · ${e.failure_streak} failed in a row`, tone: "busy" };
  return { label: "Enabled", tone: "good" };
}

/** A record with one entry replaced (signals need a new object to notice). */
function withEntry<T>(record: Record<string, T>, key: string, value: T): Record<string, T> {
  return { ...record, [key]: value };
}

function withoutEntry<T>(record: Record<string, T>, key: string): Record<string, T> {
  const { [key]: _, ...rest } = record;
  return rest;
}

// ---------------------------------------------------------------------------------------------
// Signals

export const keys = signal<Loadable<ApiKeyInfo[]>>(idle());
export const endpoints = signal<Loadable<WebhookEndpoint[]>>(idle());

/** A form's call: as an action, plus what is wrong with the form as filled in (checked before sending). */
type FormState = Action & { invalid: string | null };
const IDLE_FORM: FormState = { ...IDLE_ACTION, invalid: null };

/** The key-creation form's call, and the key it created (shown once, until dismissed). */
export const keyCreation = signal<FormState>(IDLE_FORM);
export const createdKey = signal<CreatedKey | null>(null);

export const endpointCreation = signal<FormState>(IDLE_FORM);

/** A signing secret to show once: of a new endpoint, or a rotated one (with the old secret's overlap). */
type RevealedSecret = {
  endpoint_id: string;
  url: string;
  secret: string;
  reason: "created" | "rotated";
  /** Until when deliveries are signed with the previous secret too (rotation only). */
  previous_secret_until: string | null;
};
export const revealedSecret = signal<RevealedSecret | null>(null);

/** The last Copy of a shown secret: which text, and whether the browser put it on the clipboard. */
export const secretCopy = signal<{ text: string; copied: boolean } | null>(null);

/** Per-control calls, keyed `revoke:<key id>`, `test:<endpoint id>`, `resend:<delivery id>`, … */
const actions = signal<Record<string, Action>>({});
export const actionOf = (key: string): Action => actions.value[key] ?? IDLE_ACTION;

/** Each endpoint's delivery log: shown or not, and its content. */
type DeliveryLog = Loadable<WebhookDelivery[]> & { open: boolean };
const deliveryLogs = signal<Record<string, DeliveryLog>>({});
export const deliveryLogOf = (endpointId: string): DeliveryLog =>
  deliveryLogs.value[endpointId] ?? { ...idle<WebhookDelivery[]>(), open: false };

/** How often, and how long, to look for the outcome of a sent test or resent event (tests shorten it). */
export const timing = {
  pollMs: 2000,
  pollTries: 30,
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

/** Counts visits of the page: a poll started on an earlier visit stops. */
let visit = 0;

// ---------------------------------------------------------------------------------------------
// Controllers

function setAction(key: string, action: Action): void {
  actions.value = withEntry(actions.value, key, action);
}

/** Runs one control's call, its state in `actions[key]`; true when it succeeded. */
async function run(key: string, work: () => Promise<string | null>): Promise<boolean> {
  setAction(key, { busy: true, error: null, note: null });
  try {
    const note = await work();
    setAction(key, { busy: false, error: null, note });
    return true;
  } catch (error) {
    setAction(key, { busy: false, error, note: null });
    return false;
  }
}

async function load<T>(target: { value: Loadable<T> }, fetch: () => Promise<T>): Promise<void> {
  target.value = { ...target.value, loading: true, error: null };
  try {
    target.value = { loading: false, error: null, data: await fetch() };
  } catch (error) {
    target.value = { ...target.value, loading: false, error };
  }
}

/** The page opened: everything (re)loaded; secrets of an earlier visit are not shown again. */
export function openAccount(): void {
  visit++;
  createdKey.value = null;
  revealedSecret.value = null;
  secretCopy.value = null;
  keyCreation.value = IDLE_FORM;
  endpointCreation.value = IDLE_FORM;
  actions.value = {};
  deliveryLogs.value = {};
  void loadUsage();
  void loadKeys();
  void loadEndpoints();
}

/** The page closed: polls stop, and shown secrets are forgotten. */
export function closeAccount(): void {
  visit++;
  createdKey.value = null;
  revealedSecret.value = null;
  secretCopy.value = null;
}

export const loadKeys = () => load(keys, async () => (await unwrap(api.GET("/v1/keys"))).data);

export async function createKey(name: string, scopes: Scope[]): Promise<boolean> {
  const problem = keyFormProblem(name, scopes);
  if (problem) {
    keyCreation.value = { ...IDLE_FORM, invalid: problem };
    return false;
  }
  keyCreation.value = { ...IDLE_FORM, busy: true };
  try {
    // Every scope offered chosen: the key gets all the account holds (the API's default).
    const all = scopesOfRole("user").every((scope) => scopes.includes(scope));
    const created = await unwrap(api.POST("/v1/keys", { body: { name: name.trim(), ...(all ? {} : { scopes }) } }));
    createdKey.value = created;
    keyCreation.value = IDLE_FORM;
    void loadKeys();
    return true;
  } catch (error) {
    keyCreation.value = { ...IDLE_FORM, error };
    return false;
  }
}

export function dismissCreatedKey(): void {
  forgetCopy(createdKey.value?.key);
  createdKey.value = null;
}

export async function revokeKey(id: string): Promise<boolean> {
  const done = await run(`revoke:${id}`, async () => {
    await unwrap(api.DELETE("/v1/keys/{id}", { params: { path: { id } } }));
    return null;
  });
  if (done) {
    if (createdKey.value?.id === id) createdKey.value = null;
    await loadKeys();
  }
  return done;
}

export const loadEndpoints = () => load(endpoints, async () => (await unwrap(api.GET("/v1/webhooks"))).data);

function replaceEndpoint(endpoint: WebhookEndpoint): void {
  const list = endpoints.value.data;
  if (!list) return;
  endpoints.value = { ...endpoints.value, data: list.map((e) => (e.id === endpoint.id ? endpoint : e)) };
}

export async function createEndpoint(url: string, events: WebhookEventType[], description?: string): Promise<boolean> {
  const problem = endpointFormProblem(url, events);
  if (problem) {
    endpointCreation.value = { ...IDLE_FORM, invalid: problem };
    return false;
  }
  endpointCreation.value = { ...IDLE_FORM, busy: true };
  try {
    const text = description?.trim();
    const { secret, ...created } = await unwrap(
      api.POST("/v1/webhooks", { body: { url: url.trim(), events, ...(text ? { description: text } : {}) } }),
    );
    revealedSecret.value = {
      endpoint_id: created.id,
      url: created.url,
      secret,
      reason: "created",
      previous_secret_until: null,
    };
    endpointCreation.value = IDLE_FORM;
    void loadEndpoints();
    return true;
  } catch (error) {
    endpointCreation.value = { ...IDLE_FORM, error };
    return false;
  }
}

export function dismissSecret(): void {
  forgetCopy(revealedSecret.value?.secret);
  revealedSecret.value = null;
}

export async function rotateSecret(id: string): Promise<boolean> {
  return run(`rotate:${id}`, async () => {
    const { secret, previous_secret_until, ...endpoint } = await unwrap(
      api.POST("/v1/webhooks/{id}/rotate-secret", { params: { path: { id } } }),
    );
    replaceEndpoint(endpoint);
    revealedSecret.value = { endpoint_id: id, url: endpoint.url, secret, reason: "rotated", previous_secret_until };
    return null;
  });
}

export async function enableEndpoint(id: string): Promise<boolean> {
  return run(`enable:${id}`, async () => {
    replaceEndpoint(await unwrap(api.POST("/v1/webhooks/{id}/enable", { params: { path: { id } } })));
    return "Enabled: deliveries are sent again.";
  });
}

export async function deleteEndpoint(id: string): Promise<boolean> {
  const done = await run(`delete:${id}`, async () => {
    await unwrap(api.DELETE("/v1/webhooks/{id}", { params: { path: { id } } }));
    return null;
  });
  if (done) {
    if (revealedSecret.value?.endpoint_id === id) revealedSecret.value = null;
    deliveryLogs.value = withoutEntry(deliveryLogs.value, id);
    await loadEndpoints();
  }
  return done;
}

async function fetchDeliveries(endpointId: string): Promise<WebhookDelivery[]> {
  return (await unwrap(api.GET("/v1/webhooks/{id}/deliveries", { params: { path: { id: endpointId } } }))).data;
}

export async function loadDeliveries(endpointId: string): Promise<void> {
  const log = () => deliveryLogOf(endpointId);
  deliveryLogs.value = withEntry(deliveryLogs.value, endpointId, { ...log(), loading: true, error: null });
  try {
    const data = await fetchDeliveries(endpointId);
    deliveryLogs.value = withEntry(deliveryLogs.value, endpointId, { ...log(), loading: false, data });
  } catch (error) {
    deliveryLogs.value = withEntry(deliveryLogs.value, endpointId, { ...log(), loading: false, error });
  }
}

/** Shows or hides an endpoint's delivery log (loading it fresh when shown). */
export function toggleDeliveries(endpointId: string): void {
  const log = deliveryLogOf(endpointId);
  deliveryLogs.value = withEntry(deliveryLogs.value, endpointId, { ...log, open: !log.open });
  if (!log.open) void loadDeliveries(endpointId);
}

/**
 * Waits for the first attempt of event `eventId` not among `known` to be recorded, and says how
 * it went (null when none came within the polling time or the page was left). The open log is
 * refreshed with what was fetched.
 */
async function awaitAttempt(
  endpointId: string,
  eventId: string,
  known: ReadonlySet<string>,
): Promise<WebhookDelivery | null> {
  const started = visit;
  for (let i = 0; i < timing.pollTries; i++) {
    await timing.sleep(timing.pollMs);
    if (visit !== started) return null;
    let list: WebhookDelivery[];
    try {
      list = await fetchDeliveries(endpointId);
    } catch {
      continue;
    }
    const found = newAttemptOf(list, eventId, known);
    if (found) {
      const log = deliveryLogOf(endpointId);
      if (log.open) deliveryLogs.value = withEntry(deliveryLogs.value, endpointId, { ...log, data: list });
      return found;
    }
  }
  return null;
}

function outcomeNote(attempt: WebhookDelivery | null, what: string): string {
  if (!attempt) return `${what} queued; no attempt recorded yet. Look in Deliveries later.`;
  const retried = attempt.ok ? "" : " It will be retried.";
  return `${what}: ${describeDelivery(attempt)}.${retried}`;
}

/** Sends a `webhook.test` event, then reports the outcome of its first delivery attempt. */
export async function sendTest(endpointId: string): Promise<boolean> {
  const key = `test:${endpointId}`;
  return run(key, async () => {
    const { event_id } = await unwrap(api.POST("/v1/webhooks/{id}/test", { params: { path: { id: endpointId } } }));
    setAction(key, { busy: true, error: null, note: `Test event ${event_id} queued; waiting for its delivery…` });
    return outcomeNote(await awaitAttempt(endpointId, event_id, new Set()), `Test event ${event_id}`);
  });
}

/** Sends a delivery's event again, then reports the outcome of the new attempt. */
export async function resendDelivery(endpointId: string, delivery: WebhookDelivery): Promise<boolean> {
  const key = `resend:${delivery.id}`;
  const known = new Set((deliveryLogOf(endpointId).data ?? []).map((d) => d.id));
  known.add(delivery.id);
  return run(key, async () => {
    await unwrap(
      api.POST("/v1/webhooks/{id}/deliveries/{delivery_id}/resend", {
        params: { path: { id: endpointId, delivery_id: delivery.id } },
      }),
    );
    setAction(key, { busy: true, error: null, note: "Queued again; waiting for the delivery…" });
    return outcomeNote(await awaitAttempt(endpointId, delivery.event_id, known), "Resent");
  });
}

/** A dismissed secret is not kept for its Copy's outcome either. */
function forgetCopy(secret: string | undefined): void {
  if (secret !== undefined && secretCopy.value?.text === secret) secretCopy.value = null;
}

/** Copies a shown secret; false when the browser refuses (no permission, insecure page). */
export async function copySecret(text: string): Promise<boolean> {
  try {
    await copyText(text);
    secretCopy.value = { text, copied: true };
    return true;
  } catch {
    secretCopy.value = { text, copied: false };
    return false;
  }
}
