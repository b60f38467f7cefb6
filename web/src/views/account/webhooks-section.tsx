import { useId, useState } from "preact/hooks";
import { WEBHOOK_EVENTS } from "../../../../contracts/webhooks";
import { formatDate } from "../../format/date";
import {
  actionOf,
  createEndpoint,
  deleteEndpoint,
  deliveryLogOf,
  dismissSecret,
  enableEndpoint,
  endpointCreation,
  endpointState,
  endpoints,
  loadEndpoints,
  revealedSecret,
  rotateSecret,
  sendTest,
  toggleDeliveries,
  type WebhookEndpoint,
  type WebhookEventType,
} from "../../state/account";
import { ErrorNotice } from "../components/error-notice";
import { ChoiceList } from "./choice-list";
import { DeliveriesTable } from "./deliveries-table";
import { InlineConfirm } from "./inline-confirm";
import { SecretReveal } from "./secret-reveal";

const EVENT_HINTS: Record<WebhookEventType, string> = {
  "job.succeeded": "a job finished with its results",
  "job.failed": "a job failed",
  "job.canceled": "a job was canceled",
};

function RevealedSecretFor({ endpointId, reason }: { endpointId: string | null; reason: "created" | "rotated" }) {
  const shown = revealedSecret.value;
  if (!shown || shown.reason !== reason || (endpointId !== null && shown.endpoint_id !== endpointId)) return null;
  return (
    <SecretReveal
      title={reason === "created" ? `Endpoint ${shown.url} added` : "New signing secret"}
      label="Signing secret"
      value={shown.secret}
      testId="new-secret-value"
      onDone={dismissSecret}
    >
      <p class="small">
        Verify each delivery's <code class="code">webhook-signature</code> header with this secret (Standard Webhooks).
        {shown.previous_secret_until && (
          <>
            {" "}
            Until <time dateTime={shown.previous_secret_until}>{formatDate(shown.previous_secret_until)}</time>{" "}
            deliveries are signed with the previous secret too, so your receiver can switch over without missing any.
          </>
        )}
      </p>
    </SecretReveal>
  );
}

function AddEndpointForm() {
  const urlId = useId();
  const descriptionId = useId();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<WebhookEventType[]>([...WEBHOOK_EVENTS]);
  const { busy, error, invalid } = endpointCreation.value;

  async function onSubmit(e: Event) {
    e.preventDefault();
    if (await createEndpoint(url, events, description)) {
      setUrl("");
      setDescription("");
      setEvents([...WEBHOOK_EVENTS]);
    }
  }

  return (
    <form class="stack" onSubmit={onSubmit} noValidate aria-labelledby="add-endpoint-heading">
      <h3 id="add-endpoint-heading">New endpoint</h3>
      <div class="field">
        <label for={urlId}>Endpoint URL</label>
        <input
          id={urlId}
          type="url"
          inputMode="url"
          maxLength={2048}
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
          placeholder="https://example.com/hooks/verbatim"
          autoComplete="off"
          spellcheck={false}
          aria-invalid={invalid ? true : undefined}
        />
        <span class="muted small">
          https only (http is accepted in development); private and local addresses are refused.
        </span>
      </div>
      <div class="field">
        <label for={descriptionId}>Description (optional)</label>
        <input
          id={descriptionId}
          type="text"
          maxLength={200}
          value={description}
          onInput={(e) => setDescription(e.currentTarget.value)}
          autoComplete="off"
        />
      </div>
      <ChoiceList
        legend="Events"
        name="events"
        options={WEBHOOK_EVENTS}
        hints={EVENT_HINTS}
        chosen={events}
        onChange={setEvents}
      />
      {invalid && (
        <p class="error-box" role="alert">
          {invalid}
        </p>
      )}
      {error !== null && <ErrorNotice error={error} title="The endpoint could not be added" />}
      <div class="row">
        <button type="submit" class="primary" disabled={busy}>
          Add endpoint
        </button>
        {busy && <span aria-live="polite">Adding…</span>}
      </div>
    </form>
  );
}

function EndpointItem({ endpoint }: { endpoint: WebhookEndpoint }) {
  const headingId = useId();
  const logId = useId();
  const state = endpointState(endpoint);
  const test = actionOf(`test:${endpoint.id}`);
  const rotate = actionOf(`rotate:${endpoint.id}`);
  const enable = actionOf(`enable:${endpoint.id}`);
  const remove = actionOf(`delete:${endpoint.id}`);
  const log = deliveryLogOf(endpoint.id);
  return (
    <li class="endpoint stack" data-testid="endpoint-row" aria-labelledby={headingId}>
      <div class="endpoint-head">
        <h3 id={headingId} class="break">
          {endpoint.url}
        </h3>
        <span class={`badge ${state.tone}`}>{state.label}</span>
      </div>
      {endpoint.description && <p>{endpoint.description}</p>}
      {endpoint.disabled_at && (
        <p class="warning" data-testid="disabled-reason">
          Disabled {formatDate(endpoint.disabled_at)}
          {endpoint.disabled_reason ? `: ${endpoint.disabled_reason}` : ""}. Nothing is sent to it until it is enabled
          again.
        </p>
      )}
      <dl class="facts">
        <dt>Events</dt>
        <dd>
          <span class="tags">
            {endpoint.events.map((e) => (
              <code key={e} class="code">
                {e}
              </code>
            ))}
          </span>
        </dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={endpoint.created_at}>{formatDate(endpoint.created_at)}</time>
        </dd>
        <dt>Failed in a row</dt>
        <dd>{endpoint.failure_streak}</dd>
      </dl>
      <div class="row actions">
        {!endpoint.disabled_at && (
          <button type="button" disabled={test.busy} onClick={() => void sendTest(endpoint.id)}>
            {test.busy ? "Sending test…" : "Send test"}
          </button>
        )}
        <button
          type="button"
          aria-expanded={log.open}
          aria-controls={log.open ? logId : undefined}
          onClick={() => toggleDeliveries(endpoint.id)}
        >
          Deliveries
        </button>
        <button type="button" disabled={rotate.busy} onClick={() => void rotateSecret(endpoint.id)}>
          {rotate.busy ? "Rotating…" : "Rotate secret"}
        </button>
        {endpoint.disabled_at && (
          <button type="button" class="primary" disabled={enable.busy} onClick={() => void enableEndpoint(endpoint.id)}>
            {enable.busy ? "Enabling…" : "Enable"}
          </button>
        )}
        <InlineConfirm
          label="Delete"
          question="Delete this endpoint?"
          confirmLabel="Confirm delete"
          busy={remove.busy}
          onConfirm={() => void deleteEndpoint(endpoint.id)}
        />
      </div>
      {(test.note || enable.note) && (
        <p role="status" data-testid="endpoint-note">
          {test.note ?? enable.note}
        </p>
      )}
      {test.error !== null && <ErrorNotice error={test.error} title="The test event could not be sent" />}
      {rotate.error !== null && <ErrorNotice error={rotate.error} title="The secret could not be rotated" />}
      {enable.error !== null && <ErrorNotice error={enable.error} title="The endpoint could not be enabled" />}
      {remove.error !== null && <ErrorNotice error={remove.error} title="The endpoint could not be deleted" />}
      <RevealedSecretFor endpointId={endpoint.id} reason="rotated" />
      {log.open && <DeliveriesTable endpoint={endpoint} id={logId} />}
    </li>
  );
}

function EndpointList() {
  const { loading, error, data } = endpoints.value;
  return (
    <div class="stack">
      <div class="section-head">
        <h3>Your endpoints</h3>
        <button type="button" onClick={() => void loadEndpoints()} disabled={loading}>
          {loading && data ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      {loading && !data && <p aria-live="polite">Loading…</p>}
      {error !== null && <ErrorNotice error={error} title="The endpoints could not be loaded" />}
      {data && data.length === 0 && <p class="muted">No webhook endpoints yet.</p>}
      {data && data.length > 0 && (
        <ul class="endpoints" data-testid="endpoint-list">
          {data.map((e) => (
            <EndpointItem key={e.id} endpoint={e} />
          ))}
        </ul>
      )}
    </div>
  );
}

/** Webhook endpoints: add (the signing secret shown once), test, delivery log, rotate, enable, delete. */
export function WebhooksSection() {
  return (
    <section class="card stack" aria-labelledby="webhooks-heading" data-testid="webhooks-section">
      <h2 id="webhooks-heading">Webhook endpoints</h2>
      <p class="muted">
        When a job succeeds, fails or is canceled, Verbatim POSTs the event to each endpoint subscribed to it, signed
        with the endpoint's secret. Failed deliveries are retried; an endpoint that keeps failing is disabled.
      </p>
      <RevealedSecretFor endpointId={null} reason="created" />
      <AddEndpointForm />
      <EndpointList />
    </section>
  );
}
