import { useSignal } from "@preact/signals";
import { useEffect, useRef } from "preact/hooks";
import { useLocation } from "preact-iso";
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
  filtered,
  filters,
  historyAddress,
  historyError,
  loading,
  NO_FILTERS,
  nextPage,
  openAddress,
  page,
  previousPage,
  setFilters,
} from "../../state/history";
import { ErrorNotice } from "../components/error-notice";
import { JobProgressBar, StatusBadge, useLiveJob } from "../components/job-status";
import { usePageTitle } from "../components/page-title";

export function HistoryPage() {
  usePageTitle("History");
  const { path, query, route } = useLocation();
  // The address names the filters and the page (a reload or a shared link opens the same list).
  const opened = useSignal(false);
  useEffect(() => {
    void openAddress(query);
    opened.value = true;
  }, []);
  // …and follows them as they change, without adding a step to the browser's history per key: once the
  // address was read (the first render's filters are those from before it, and writing them back would
  // drop the address's own), and only while the address is History's (a page being opened from the list
  // may still show this one).
  const address = historyAddress();
  // As this render saw them: the effect runs after the one above has already set `opened`.
  const addressRead = opened.value;
  useEffect(() => {
    if (!addressRead) return;
    if (path === "/jobs" && `${location.pathname}${location.search}` !== address) route(address, true);
  }, [addressRead, path, address, route]);
  // What is typed shows at once; the list follows 300 ms after the last key.
  const typed = useSignal(query.q ?? "");
  const search = useRef<ReturnType<typeof setTimeout>>(undefined);
  useEffect(() => () => clearTimeout(search.current), []);
  const total = counts.value ? Object.values(counts.value).reduce((a, b) => a + b, 0) : null;
  const clearFilters = () => {
    clearTimeout(search.current);
    typed.value = "";
    setFilters(NO_FILTERS);
  };
  return (
    <div class="stack">
      <h1>History</h1>
      <search class="card row history-filters">
        <div class="field grow history-search">
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
        {!loading.value && page.value.length === 0 && (
          <EmptyList total={total} filtered={filtered(filters.value)} onClear={clearFilters} />
        )}
        {(cursors.value.before.length > 0 || cursors.value.next) && (
          <nav class="row" aria-label="Pages">
            <button type="button" disabled={cursors.value.before.length === 0 || loading.value} onClick={previousPage}>
              Previous
            </button>
            <button type="button" disabled={!cursors.value.next || loading.value} onClick={nextPage}>
              Next
            </button>
          </nav>
        )}
        {loading.value && <p class="muted small">Loading…</p>}
      </div>
    </div>
  );
}

/** Tells a new account's empty list from a search that matches nothing, with the way on from each. */
function EmptyList({ total, filtered, onClear }: { total: number | null; filtered: boolean; onClear: () => void }) {
  if (total === 0) {
    return (
      <p data-testid="history-empty">
        No jobs yet. <a href="/">Upload a file</a> to read its text or transcribe it.
      </p>
    );
  }
  if (!filtered) return <p data-testid="history-empty">No jobs on this page.</p>;
  return (
    <p class="row" data-testid="history-empty">
      <span>No jobs match these filters.</span>
      <button type="button" onClick={onClear}>
        Clear filters
      </button>
    </p>
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
