import { useSignal } from "@preact/signals";
import { useLocation } from "preact-iso";
import { JOB_ID_PATTERN } from "../../../../contracts/job";
import { ApiError, api, type Job, unwrap } from "../../api/client";
import { formatDate, formatTime } from "../../format/date";
import { formatClock } from "../../format/duration";
import { formatBytes } from "../../format/size";
import { explainError, KIND_LABELS, STATUS_LABELS } from "../../format/status";
import type { Change, Mode } from "../../state/live-jobs";
import { ErrorNotice } from "../components/error-notice";
import { JobProgressBar, StatusBadge, useLiveJob } from "../components/job-status";
import { usePageTitle } from "../components/page-title";
import { ResultsPanel } from "../results/results-panel";
import "./job.css";

const MODE_TEXT: Record<Mode, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Reconnecting (checking periodically)",
  // The status badge beside it already says the job ended.
  done: "",
};

/** A new job id is a new page (its own live subscription). An address that names no job says so. */
export function JobPage({ id = "" }: { id?: string }) {
  return JOB_ID_PATTERN.test(id) ? <JobView key={id} id={id} /> : <NoSuchJob />;
}

/** A job address that is mistyped, or whose job was deleted (or is someone else's). */
function NoSuchJob() {
  usePageTitle("No such job");
  return (
    <div class="stack" data-testid="no-such-job">
      <h1>No such job</h1>
      <p>
        There is no job of yours at this address: check the link, or find the job in <a href="/jobs">History</a>.
        Deleted jobs are gone for good.
      </p>
      <p>
        <a href="/">Upload a file</a>
      </p>
    </div>
  );
}

function JobView({ id }: { id: string }) {
  const live = useLiveJob(id);
  usePageTitle(live.job.value ? live.job.value.file.name : "Job");
  const job = live.job.value;
  if (!job) {
    const error = live.error.value;
    if (error instanceof ApiError && error.problem.code === "not_found") return <NoSuchJob />;
    return error ? <ErrorNotice error={error} title="This job could not be opened" /> : <p class="muted">Loading…</p>;
  }
  return (
    <div class="stack">
      <div class="row">
        <h1 class="grow truncate" title={job.file.name}>
          {job.file.name}
        </h1>
        {/* Announced when it changes. */}
        <span role="status" data-testid="job-status">
          <StatusBadge status={job.status} />
        </span>
        <span class="small muted" data-testid="live-mode" data-mode={live.mode.value}>
          {MODE_TEXT[live.mode.value]}
        </span>
      </div>
      <section class="card stack" aria-label="Status">
        <JobFacts job={job} />
        <JobProgressBar job={job} />
        {job.status === "failed" && job.error && <JobFailure job={job} />}
        {job.parts && job.parts.failed.length > 0 && job.status === "succeeded" && (
          <p class="warning small">
            ⚠ {job.parts.failed.length} of {job.parts.total} parts failed; their pages or spans are missing from the
            results.
          </p>
        )}
        {job.status === "queued" || job.status === "processing" ? (
          <CancelButton id={job.id} />
        ) : (
          <DeleteButton id={job.id} />
        )}
        <Timeline history={live.history.value} />
      </section>
      {job.status === "succeeded" && <ResultsPanel job={job} />}
    </div>
  );
}

function JobFacts({ job }: { job: Job }) {
  const size = job.file.pages
    ? `${job.file.pages} ${job.file.pages === 1 ? "page" : "pages"}`
    : job.file.duration_s
      ? formatClock(job.file.duration_s)
      : null;
  return (
    <dl class="facts small">
      <dt>Kind</dt>
      <dd>{KIND_LABELS[job.kind]}</dd>
      <dt>File</dt>
      <dd>
        {formatBytes(job.file.size)} · {job.file.mime}
        {size && ` · ${size}`}
      </dd>
      <dt>Created</dt>
      <dd>{formatDate(job.created_at)}</dd>
      {job.finished_at && (
        <>
          <dt>Finished</dt>
          <dd>{formatDate(job.finished_at)}</dd>
        </>
      )}
      <dt>Job id</dt>
      <dd>
        <code>{job.id}</code>
      </dd>
      <dt>Request id</dt>
      <dd>
        <code data-testid="job-request-id">{job.request_id}</code>
      </dd>
    </dl>
  );
}

function JobFailure({ job }: { job: Job }) {
  const error = job.error;
  if (!error) return null;
  const { title, action } = explainError(error.code);
  return (
    <div class="error-box" role="alert" data-testid="job-error">
      <p>
        <strong>{title}</strong> <code class="code">{error.code}</code>
      </p>
      <p>{error.message}</p>
      <p class="muted">What to do: {action}</p>
      <p class="muted small">
        When reporting it, quote job <code>{job.id}</code> and request <code>{job.request_id}</code>.
      </p>
    </div>
  );
}

/** A call a button starts: busy while it runs (the button is disabled then), its failure kept to show. */
function useAction(call: () => Promise<unknown>) {
  const busy = useSignal(false);
  const error = useSignal<unknown>(null);
  const start = async () => {
    busy.value = true;
    try {
      await call();
      error.value = null;
    } catch (err) {
      error.value = err;
    } finally {
      busy.value = false;
    }
  };
  return { busy, error, start };
}

function CancelButton({ id }: { id: string }) {
  const { busy, error, start } = useAction(() =>
    unwrap(api.POST("/v1/jobs/{id}/cancel", { params: { path: { id } } })),
  );
  return (
    <div>
      <button type="button" class="danger" disabled={busy.value} onClick={start}>
        Cancel job
      </button>
      {error.value ? <ErrorNotice error={error.value} title="The job could not be canceled" /> : null}
    </div>
  );
}

/** Deleting is for good: the first press asks, the second deletes and shows the history. */
function DeleteButton({ id }: { id: string }) {
  const asking = useSignal(false);
  const { route } = useLocation();
  const { busy, error, start } = useAction(async () => {
    await unwrap(api.DELETE("/v1/jobs/{id}", { params: { path: { id } } }));
    route("/jobs");
  });
  if (!asking.value) {
    return (
      <div>
        <button type="button" onClick={() => (asking.value = true)}>
          Delete job…
        </button>
      </div>
    );
  }
  return (
    <div class="stack">
      <div class="row">
        <span>Delete the file, its results and its history for good?</span>
        <button type="button" class="danger" disabled={busy.value} onClick={start}>
          Delete for good
        </button>
        <button type="button" onClick={() => (asking.value = false)}>
          Keep it
        </button>
      </div>
      {error.value ? <ErrorNotice error={error.value} title="The job could not be deleted" /> : null}
    </div>
  );
}

function Timeline({ history }: { history: Change[] }) {
  if (history.length === 0) return null;
  return (
    <div>
      <h2>Timeline</h2>
      <ol class="timeline" data-testid="timeline">
        {history.map((change) => (
          <li key={`${change.seq}-${change.to}`}>
            <StatusBadge status={change.to} />{" "}
            <time class="small muted" dateTime={change.at}>
              {formatTime(change.at)}
            </time>
            {change.from && (
              <span class="small muted">
                {" "}
                from {STATUS_LABELS[change.from as keyof typeof STATUS_LABELS]?.label ?? change.from}
              </span>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}
