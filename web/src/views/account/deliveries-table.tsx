import { formatDate, formatRelative } from "../../format/date";
import { formatMilliseconds } from "../../format/number";
import {
  actionOf,
  deliveryLogOf,
  loadDeliveries,
  resendDelivery,
  type WebhookDelivery,
  type WebhookEndpoint,
} from "../../state/account";
import { ErrorNotice } from "../components/error-notice";

function DeliveryRow({ endpoint, delivery }: { endpoint: WebhookEndpoint; delivery: WebhookDelivery }) {
  const resend = actionOf(`resend:${delivery.id}`);
  return (
    <tr data-testid="delivery-row">
      <td data-label="Event">
        <code>{delivery.type}</code>
        <div class="muted small break">{delivery.event_id}</div>
      </td>
      <td data-label="Result">
        <span class={`badge ${delivery.ok ? "good" : "bad"}`}>{delivery.ok ? "OK" : "Failed"}</span>{" "}
        {delivery.status_code !== null ? `HTTP ${delivery.status_code}` : "no HTTP answer"}
        {delivery.error && <div class="small break">{delivery.error}</div>}
      </td>
      <td data-label="Attempt">{delivery.attempt}</td>
      <td data-label="Took">{formatMilliseconds(delivery.duration_ms)}</td>
      <td data-label="Time">
        <time dateTime={delivery.at} title={formatDate(delivery.at)}>
          {formatRelative(delivery.at)}
        </time>
      </td>
      <td data-label="Actions">
        {!endpoint.disabled_at && (
          <button
            type="button"
            aria-label={`Resend ${delivery.type} ${delivery.event_id}`}
            disabled={resend.busy}
            onClick={() => void resendDelivery(endpoint.id, delivery)}
          >
            {resend.busy ? "Resending…" : "Resend"}
          </button>
        )}
        {resend.note && (
          <p role="status" class="small">
            {resend.note}
          </p>
        )}
        {resend.error !== null && <ErrorNotice error={resend.error} title="The event could not be resent" />}
      </td>
    </tr>
  );
}

/** An endpoint's last 100 delivery attempts, newest first, each with Resend. */
export function DeliveriesTable({ endpoint, id }: { endpoint: WebhookEndpoint; id: string }) {
  const { loading, error, data } = deliveryLogOf(endpoint.id);
  return (
    <div id={id} class="deliveries stack" data-testid="deliveries">
      <div class="section-head">
        <h4>Deliveries</h4>
        <button type="button" onClick={() => void loadDeliveries(endpoint.id)} disabled={loading}>
          {loading && data ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      {loading && !data && <p aria-live="polite">Loading…</p>}
      {error !== null && <ErrorNotice error={error} title="The deliveries could not be loaded" />}
      {data && data.length === 0 && <p class="muted">No deliveries yet.</p>}
      {data && data.length > 0 && (
        <>
          <p class="muted small">
            {data.length === 1 ? "The one attempt so far." : `The last ${data.length} attempts, newest first.`}
            {endpoint.disabled_at && " Enable the endpoint to resend."}
          </p>
          <table class="responsive">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Result</th>
                <th scope="col">Attempt</th>
                <th scope="col">Took</th>
                <th scope="col">Time</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.map((d) => (
                <DeliveryRow key={d.id} endpoint={endpoint} delivery={d} />
              ))}
            </tbody>
          </table>
        </>
      )}
    </div>
  );
}
