import { useEffect, useId, useState } from "preact/hooks";
import { describeRange, type PartFailure } from "../../../../contracts/parts";
import type { Job } from "../../api/client";
import { explainError } from "../../format/status";
import { flags } from "../../state/flags";
import { failedParts, resultsFor } from "../../state/results";
import { DownloadsTab } from "./downloads-tab";
import { PagesTab } from "./pages-tab";
import { type Tab, Tabs } from "./tabs";
import { TextTab } from "./text-tab";
import { TranscriptTab } from "./transcript-tab";
import "./results.css";

type TabKey = "text" | "pages" | "transcript" | "downloads";

/** The results of a succeeded job: its text, its pages or transcript, and its downloads. */
export function ResultsPanel({ job }: { job: Job }) {
  const results = resultsFor(job);
  const fannedOut = job.parts !== null && job.parts !== undefined;

  useEffect(() => {
    // A job done in parts may have lost some: the JSON result says which (shown above the tabs).
    if (fannedOut) results.loadData();
  }, [results, fannedOut]);
  // The uploaded file (up to 200 MB) is not kept once the panel closes.
  useEffect(() => () => results.releaseSource(), [results]);

  const tabs: Tab<TabKey>[] = [
    { key: "text", label: "Text" },
    ...(job.kind === "ocr" && flags.value.ui_page_view !== false ? [{ key: "pages", label: "Pages" } as const] : []),
    ...(job.kind === "av" ? [{ key: "transcript", label: "Transcript" } as const] : []),
    { key: "downloads", label: "Downloads" },
  ];
  const [chosen, setChosen] = useState<TabKey>("text");
  const selected = tabs.some((tab) => tab.key === chosen) ? chosen : "text";
  const headingId = useId();

  return (
    <section class="card results-panel" aria-labelledby={headingId} data-testid="results-panel">
      <h2 id={headingId}>Results</h2>
      <FailedParts kind={job.kind} parts={failedParts(job, results.data.value)} />
      <Tabs label="Results" tabs={tabs} selected={selected} onSelect={setChosen}>
        {selected === "text" && <TextTab results={results} />}
        {selected === "pages" && <PagesTab job={job} results={results} />}
        {selected === "transcript" && <TranscriptTab job={job} results={results} />}
        {selected === "downloads" && <DownloadsTab job={job} results={results} />}
      </Tabs>
    </section>
  );
}

/** Parts that failed for good: their pages or time spans are missing from the results. */
function FailedParts({ kind, parts }: { kind: Job["kind"]; parts: PartFailure[] }) {
  if (parts.length === 0) return null;
  const missing = kind === "ocr" ? "these pages are" : "these stretches of the recording are";
  return (
    <div class="results-warning" data-testid="failed-parts">
      <p>
        <strong>
          {parts.length === 1 ? "One part" : `${parts.length} parts`} of the job failed: {missing} missing from the
          results.
        </strong>
      </p>
      <ul>
        {parts.map((part) => (
          <li key={part.part}>
            {capitalize(describeRange(part.range))}: {explainError(part.code).title}{" "}
            <code class="code">{part.code}</code>
            {part.message && <span class="muted small"> — {part.message}</span>}
          </li>
        ))}
      </ul>
    </div>
  );
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
