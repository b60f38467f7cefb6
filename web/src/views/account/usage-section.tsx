import { useState } from "preact/hooks";
import type { Usage } from "../../../../contracts/limits";
import { formatDate } from "../../format/date";
import { formatSpan } from "../../format/duration";
import { formatAmount } from "../../format/number";
import { formatBytes } from "../../format/size";
import { heldMeters, type Meter, usageMeters } from "../../state/account";
import { loadUsage, usage, usageError } from "../../state/usage";
import { ErrorNotice } from "../components/error-notice";

const LEVEL_NOTE = { ok: "", warn: "Almost used up", full: "Used up" } as const;

function QuotaMeter({ meter }: { meter: Meter }) {
  const labelId = `quota-${meter.id}`;
  return (
    <div class={`meter ${meter.level}`} data-testid="usage-meter" data-level={meter.level}>
      <div class="meter-head">
        <span id={labelId}>{meter.label}</span>
        <span class="meter-text">
          {meter.text}
          {meter.level !== "ok" && <strong> · {LEVEL_NOTE[meter.level]}</strong>}
        </span>
      </div>
      <progress
        max={meter.limit}
        value={Math.min(meter.used, meter.limit)}
        aria-labelledby={labelId}
        aria-valuetext={`${meter.text} (${Math.round(meter.percent)} %)`}
      />
    </div>
  );
}

function rate(r: Usage["throughput"]["ocr_per_page"], unit: string): string {
  if (!r) return "not measured yet";
  return `about ${formatSpan(r.seconds_per_unit)} per ${unit} (from ${r.jobs} recent ${r.jobs === 1 ? "job" : "jobs"})`;
}

function UsageDetails({ data }: { data: Usage }) {
  const meters = usageMeters(data);
  const [running, ...daily] = meters;
  const { limits, uploads, throughput } = data;
  return (
    <div class="stack">
      {running && (
        <div>
          <h3>Running now</h3>
          <QuotaMeter meter={running} />
          <p class="muted small">Queued and processing jobs count; more are refused until one ends.</p>
        </div>
      )}
      <div>
        <h3>Last 24 hours</h3>
        <p class="muted small">Jobs submitted since {formatDate(data.day.since)}, whatever became of them.</p>
        <div class="meters">
          {daily.map((m) => (
            <QuotaMeter key={m.id} meter={m} />
          ))}
        </div>
      </div>
      <div>
        <h3>Held now</h3>
        <p class="muted small">
          Uploads in parts count until they are finished or expire; keys until they are revoked.
        </p>
        <div class="meters">
          {heldMeters(data).map((m) => (
            <QuotaMeter key={m.id} meter={m} />
          ))}
        </div>
      </div>
      <div class="facts-grid">
        <div>
          <h3>Per job</h3>
          <dl class="facts">
            <dt>Pages</dt>
            <dd>at most {formatAmount(limits.max_pages_per_job)}</dd>
            <dt>Audio or video</dt>
            <dd>at most {formatAmount(limits.max_minutes_per_job)} minutes</dd>
          </dl>
        </div>
        <div>
          <h3>Uploads</h3>
          <dl class="facts">
            <dt>In one request</dt>
            <dd>up to {formatBytes(uploads.max_direct_bytes)}</dd>
            <dt>In parts</dt>
            <dd>
              up to {formatBytes(uploads.max_multipart_bytes)} (parts of {formatBytes(uploads.part_bytes)})
            </dd>
          </dl>
        </div>
        <div>
          <h3>Processing speed</h3>
          <dl class="facts">
            <dt>Documents</dt>
            <dd>{rate(throughput.ocr_per_page, "page")}</dd>
            <dt>Audio or video</dt>
            <dd>{rate(throughput.av_per_minute, "minute")}</dd>
          </dl>
        </div>
      </div>
    </div>
  );
}

/** Usage against the caller's quotas, per-job and upload limits (GET /v1/usage). */
export function UsageSection() {
  const data = usage.value;
  const error = usageError.value;
  const [refreshing, setRefreshing] = useState(false);

  async function refresh() {
    setRefreshing(true);
    await loadUsage();
    setRefreshing(false);
  }

  return (
    <section class="card" aria-labelledby="usage-heading" data-testid="usage-section">
      <div class="section-head">
        <h2 id="usage-heading">Usage</h2>
        <button type="button" onClick={() => void refresh()} disabled={refreshing}>
          {refreshing && data ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      {!data && error === null && <p aria-live="polite">Loading…</p>}
      {error !== null && <ErrorNotice error={error} title="Usage could not be loaded" />}
      {data && <UsageDetails data={data} />}
    </section>
  );
}
