import { OUTPUT_FORMATS, type ResultFormat } from "../../../../contracts/job";
import type { Job } from "../../api/client";
import type { JobResults } from "../../state/results";
import { LoadFailed } from "./common";

const DESCRIPTIONS: Record<ResultFormat, string> = {
  txt: "Plain text",
  json: "Everything recognized, with positions, times and confidence",
  md: "Markdown: paragraphs in reading order, headings, lists and simple tables",
  pdf: "Searchable PDF: the pages with their text selectable",
  srt: "Subtitles (SubRip)",
  vtt: "Subtitles (WebVTT)",
};

/** One download per format the job's kind offers, each fetched and saved under the result's file name. */
export function DownloadsTab({ job, results }: { job: Job; results: JobResults }) {
  const downloads = results.downloads.value;
  const formats: readonly ResultFormat[] = OUTPUT_FORMATS[job.kind];
  return (
    <ul class="results-downloads">
      {formats.map((format) => {
        const state = downloads[format];
        const busy = state?.state === "loading";
        return (
          <li key={format} class="stack">
            <div class="row">
              <button
                type="button"
                class="results-download"
                aria-busy={busy}
                disabled={busy}
                data-testid={`download-${format}`}
                onClick={() => void results.download(format)}
              >
                Download {format.toUpperCase()}
              </button>
              <span class="small muted grow">{DESCRIPTIONS[format]}</span>
              <span class="small" role="status">
                {busy ? "Downloading…" : state?.state === "ready" ? `Downloaded as ${state.value}` : ""}
              </span>
            </div>
            {state?.state === "error" && (
              <LoadFailed error={state.error} title={`The ${format.toUpperCase()} result could not be downloaded`} />
            )}
          </li>
        );
      })}
    </ul>
  );
}
