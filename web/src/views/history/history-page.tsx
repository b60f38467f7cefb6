import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { JOB_KINDS, JOB_STATUSES } from "../../../../contracts/job";
import type { Job } from "../../api/client";
import { formatRelative } from "../../format/date";
import { formatClock } from "../../format/duration";
import { formatBytes } from "../../format/size";
import { KIND_LABELS, STATUS_LABELS } from "../../format/status";
import {
  counts,
  cursors,
  type Filters,
  filters,
  firstPage,
  historyError,
  loading,
  nextPage,
  page,
  previousPage,
  setFilters,
} from "../../state/history";
import { ErrorNotice } from "../components/error-notice";
import { JobProgressBar, StatusBadge, useLiveJob } from "../components/job-status";
import { usePageTitle } from "../components/page-title";

export function HistoryPage() {
  usePageTitle("History");
  useEffect(() => {
    void firstPage();
  }, []);
  // What is typed shows at once; the list follows 300 ms after the last key.
  const typed = useSignal(filters.value.q);
  const search = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(search.current), []);
  const total = counts.value ? Object.values(counts.value).reduce((a, b) => a + b, 0) : null;
  return (
    <div class="stack">
      <h1>History</h1>
      <search class="card row">
        <div class="field grow">
          <label for="job-search">Search by file name</label>
          <input
            id="job-search"
            type="search"
            value={typed.value}
            onInput={(e) => {
              const q = e.currentTarget.value;
              typed.value = q;
              clearTimeout(search.current);
              search.current = setTimeout(() => setFilters({ q }), 300);
            }}
          />
        </div>
        <div class="field">
          <label for="status-filter">Status</label>
          <select
            id="status-filter"
            value={filters.value.status}
            onChange={(e) => setFilters({ status: e.currentTarget.value as Filters["status"] })}
          >
            <option value="">All{total !== null ? ` (${total})` : ""}</option>
            {JOB_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s].label}
                {counts.value ? ` (${counts.value[s]})` : ""}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="kind-filter">Kind</label>
          <select
            id="kind-filter"
            value={filters.value.kind}
            onChange={(e) => setFilters({ kind: e.currentTarget.value as Filters["kind"] })}
          >
            <option value="">All</option>
            {JOB_KINDS.map((k) => (
              <option key={k} value={k}>
                {KIND_LABELS[k]}
              </option>
            ))}
          </select>
        </div>
      </search>
      {counts.value && (
        <ul class="row small muted counts" aria-label="Jobs per status" data-testid="status-counts">
          {JOB_STATUSES.map((s) => (
            <li key={s}>
              {STATUS_LABELS[s].label}: <strong>{counts.value?.[s]}</strong>
            </li>
          ))}
        </ul>
      )}
      {historyError.value ? <ErrorNotice error={historyError.value} title="The jobs could not be loaded" /> : null}
      <div class="card">
        <table class="responsive" aria-busy={loading.value}>
          <thead>
            <tr>
              <th>File</th>
              <th>Status</th>
              <th class="hide-narrow">Size</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {page.value.map((job) => (
              <JobRow key={job.id} job={job} />
            ))}
          </tbody>
        </table>
        {!loading.value && page.value.length === 0 && <p class="muted">No jobs here yet.</p>}
        <nav class="row" aria-label="Pages">
          <button type="button" disabled={cursors.value.before.length === 0 || loading.value} onClick={previousPage}>
            Previous
          </button>
          <button type="button" disabled={!cursors.value.next || loading.value} onClick={nextPage}>
            Next
          </button>
          {loading.value && <span class="muted small">Loading…</span>}
        </nav>
      </div>
    </div>
  );
}

/** A row follows its job live only while the job is unfinished (finished ones open nothing). */
function JobRow({ job }: { job: Job }) {
  const live = useLiveJob(job.id, job);
  const current = live.job.value ?? job;
  const size = current.file.pages
    ? `${current.file.pages} p.`
    : current.file.duration_s
      ? formatClock(current.file.duration_s)
      : "";
  return (
    <tr data-testid="job-row">
      <td>
        <a href={`/jobs/${job.id}`} class="truncate">
          {current.file.name}
        </a>
        <JobProgressBar job={current} />
      </td>
      <td>
        <StatusBadge status={current.status} />
        {current.error && <div class="small muted">{current.error.code}</div>}
      </td>
      <td class="hide-narrow small">
        {formatBytes(current.file.size)} {size && `· ${size}`}
      </td>
      <td class="small" title={current.created_at}>
        {formatRelative(current.created_at)}
      </td>
    </tr>
  );
}
