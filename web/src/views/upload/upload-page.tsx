import { computed, useSignal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { extensionsFor } from "../../../../contracts/file-kind";
import { type JobKind, MAX_VOCABULARY_TERMS } from "../../../../contracts/job";
import { AUTO_LANGUAGE } from "../../../../contracts/languages";
import { parsePageSelection } from "../../../../contracts/page-selection";
import type { Job } from "../../api/client";
import { formatClock, formatSpan } from "../../format/duration";
import { formatBytes } from "../../format/size";
import { KIND_LABELS } from "../../format/status";
import { draggingFiles, takeDroppedFiles } from "../../lib/file-drop";
import { languageName, languages, loadLanguages, uploadLanguage } from "../../state/languages";
import { chooseSpeech, parseVocabulary, speechChoices, speechConflict, speechOffer } from "../../state/speech-options";
import {
  addFiles,
  canRetry,
  clearFinished,
  readyCount,
  removeItem,
  retry,
  sendAll,
  type UploadItem,
  uploadItems,
  uploadPages,
} from "../../state/uploads";
import { loadUsage, usage } from "../../state/usage";
import { ErrorNotice } from "../components/error-notice";
import { JobProgressBar, StatusBadge, useLiveJob } from "../components/job-status";
import { usePageTitle } from "../components/page-title";
import "./upload.css";

const ACCEPT = [...extensionsFor("ocr"), ...extensionsFor("av")].map((ext) => `.${ext}`).join(",");
const listed = (kind: JobKind) =>
  extensionsFor(kind)
    .map((ext) => ext.toUpperCase())
    .join(", ");

/** The page selection is empty (all pages) or one the API takes. */
const pagesValid = computed(() => uploadPages.value.trim() === "" || parsePageSelection(uploadPages.value) !== null);
/** The vocabulary's terms, or why the API would refuse them. */
const vocabulary = computed(() => parseVocabulary(speechChoices.value.vocabulary));
/** Why no engine here could take a recording with the options chosen (null when one can). */
const speechConflictNow = computed(() =>
  speechConflict(speechChoices.value, languages.value?.speech_engines ?? [], uploadLanguage.value),
);
/** A recording waiting to be sent: the vocabulary must then be one the API takes. */
const recordingReady = computed(() =>
  uploadItems.value.some((item) => item.state === "ready" && item.verdict?.ok && item.verdict.kind === "av"),
);

export function UploadPage() {
  usePageTitle("Upload");
  const sending = useSignal(false);
  useEffect(() => {
    void loadUsage();
    void loadLanguages();
  }, []);
  // Files dropped anywhere on this page are added (lib/file-drop).
  useEffect(() => takeDroppedFiles((files) => void addFiles(files)), []);
  const onFiles = (files: FileList | null) => {
    if (files && files.length > 0) void addFiles(Array.from(files));
  };
  const canSend =
    readyCount.value > 0 &&
    !sending.value &&
    pagesValid.value &&
    !(recordingReady.value && (vocabulary.value.error !== null || speechConflictNow.value !== null));
  return (
    <div class="stack">
      <h1>Upload</h1>
      {draggingFiles.value && (
        <div class="drop-overlay" aria-hidden="true">
          Drop to add the files
        </div>
      )}
      {/* Dropping is a shortcut for the picker inside, which is the keyboard's way in. */}
      <section aria-label="Choose or drop files" class={`dropzone card${draggingFiles.value ? " dragging" : ""}`}>
        <p>
          <strong>Drop files anywhere on this page</strong> or
        </p>
        <label class="button primary" for="file-input">
          Choose files
        </label>
        <input
          id="file-input"
          class="visually-hidden"
          type="file"
          multiple
          accept={ACCEPT}
          onChange={(e) => {
            onFiles(e.currentTarget.files);
            e.currentTarget.value = "";
          }}
        />
        <p class="small muted">
          {listed("ocr")} for text; {listed("av")} for transcripts.
          {usage.value &&
            ` Up to ${formatBytes(usage.value.uploads.max_multipart_bytes)}; files over ${formatBytes(
              usage.value.uploads.max_direct_bytes,
            )} are sent in parts and resume if the connection breaks.`}
        </p>
      </section>

      <div class="row upload-options">
        <LanguageChoice />
        <PageChoice />
      </div>
      <RecordingOptions />

      {uploadItems.value.length > 0 && (
        <section class="card stack" aria-labelledby="files-heading">
          <div class="row">
            <h2 id="files-heading" class="grow">
              Files
            </h2>
            <button type="button" onClick={clearFinished}>
              Clear finished
            </button>
            {/* Unavailable rather than disabled: a disabled button would drop the keyboard focus to the page. */}
            <button
              type="button"
              class="primary"
              aria-disabled={!canSend}
              onClick={async () => {
                if (!canSend) return;
                sending.value = true;
                await sendAll();
                sending.value = false;
              }}
            >
              {sending.value
                ? "Uploading…"
                : readyCount.value === 0
                  ? "Upload"
                  : readyCount.value === 1
                    ? "Upload 1 file"
                    : `Upload ${readyCount.value} files`}
            </button>
          </div>
          <ul class="upload-list">
            {uploadItems.value.map((item) => (
              <UploadRow key={item.id} item={item} />
            ))}
          </ul>
        </section>
      )}
    </div>
  );
}

function UploadRow({ item }: { item: UploadItem }) {
  const { file, verdict, measure, assessment } = item;
  return (
    <li class="upload-item" data-testid="upload-item" data-state={item.state}>
      <div class="row">
        <strong class="grow truncate" title={file.name}>
          {file.name}
        </strong>
        <span class="small muted">{formatBytes(file.size)}</span>
        {verdict?.ok && <span class="badge neutral">{KIND_LABELS[verdict.kind]}</span>}
        {(item.state === "ready" || item.state === "rejected" || item.state === "failed") && (
          <button type="button" class="link" onClick={() => removeItem(item.id)} aria-label={`Remove ${file.name}`}>
            Remove
          </button>
        )}
      </div>
      {item.state === "checking" && <p class="small muted">Checking…</p>}
      {verdict && !verdict.ok && (
        <div class="error-box" role="alert" data-testid="upload-error">
          <p>
            <strong>{verdict.message}</strong> <code class="code">{verdict.code}</code>
          </p>
        </div>
      )}
      {verdict?.ok && (
        <p class="small" data-testid="upload-estimate" data-estimate-s={assessment?.estimate_s ?? undefined}>
          {measure
            ? "pages" in measure
              ? pagesText(measure.pages)
              : formatClock(measure.minutes * 60)
            : "Size unknown"}
          {" · "}
          {assessment?.estimate_s != null
            ? `done in ${assessment.estimate_s < 1 ? "" : "about "}${formatSpan(assessment.estimate_s)} once sent`
            : "no processing time measured yet"}
          {waiting(item) &&
            assessment?.quota &&
            ` · uses ${assessment.quota.uses} of the ${assessment.quota.left} ${assessment.quota.unit} left today`}
          {verdict.inParts && " · sent in parts"}
        </p>
      )}
      {/* What may happen on sending; once sent, the job (or the refusal) says what did. */}
      {waiting(item) &&
        assessment?.errors.map((e) => (
          <p key={e} class="error-box small" role="alert">
            {e}
          </p>
        ))}
      {waiting(item) &&
        assessment?.warnings.map((w) => (
          <p key={w} class="warning small">
            ⚠ {w}
          </p>
        ))}
      {(item.state === "uploading" || item.state === "sent") && (
        <div class="small">
          <progress max={file.size} value={item.sent} aria-label={`Upload of ${file.name}`} />
          <span class="muted">
            {formatBytes(item.sent)} of {formatBytes(file.size)} sent
          </span>
        </div>
      )}
      {item.state === "failed" && <ErrorNotice error={item.error} title="The upload failed" />}
      {canRetry(item) && (
        <button type="button" onClick={() => retry(item.id)} aria-label={`Send ${file.name} again`}>
          Send again
        </button>
      )}
      {item.job && <SentJob job={item.job} />}
    </li>
  );
}

const waiting = (item: UploadItem) => item.state === "ready" || item.state === "rejected";

const pagesText = (pages: number) => (pages === 1 ? "1 page" : `${pages} pages`);

function SentJob({ job }: { job: Job }) {
  const live = useLiveJob(job.id, job);
  const current = live.job.value ?? job;
  return (
    <div class="row small">
      <StatusBadge status={current.status} />
      <a href={`/jobs/${job.id}`}>Open job</a>
      <div class="grow">
        <JobProgressBar job={current} />
      </div>
    </div>
  );
}

/** The language documents are read in (and recordings heard in), from what this deployment has. */
function LanguageChoice() {
  const available = languages.value;
  if (!available) return null;
  const codes = [...new Set([...available.ocr, ...available.av])].sort((a, b) =>
    languageName(a).localeCompare(languageName(b)),
  );
  const detectsSpeech = speechOffer(available.speech_engines ?? [], speechChoices.value.engine).detectLanguage;
  const detects = [available.ocr.length > 0 ? "documents" : null, detectsSpeech ? "recordings" : null].filter(
    (what) => what !== null,
  );
  return (
    <div class="field upload-language">
      <label for="upload-language">Language of the files</label>
      <select
        id="upload-language"
        value={uploadLanguage.value}
        onChange={(e) => {
          uploadLanguage.value = e.currentTarget.value;
        }}
      >
        {detects.length > 0 && <option value={AUTO_LANGUAGE}>Detect automatically ({detects.join(" and ")})</option>}
        {codes.map((code) => (
          <option key={code} value={code}>
            {languageName(code)} ({code})
          </option>
        ))}
      </select>
      <p class="small muted">
        Documents and images can be read in {available.ocr.length} languages here; recordings heard in{" "}
        {available.av.map(languageName).join(", ")}.
        {uploadLanguage.value === AUTO_LANGUAGE &&
          (detectsSpeech
            ? " Detected from each document's first pages and from each recording's speech."
            : ` Detected from each document's first pages; recordings are heard in ${languageName(available.av[0] ?? "eng")}.`)}
      </p>
    </div>
  );
}

/** Which pages of documents to read: all, or a selection such as "1-3, 7". */
function PageChoice() {
  const invalid = !pagesValid.value;
  return (
    <div class="field upload-pages">
      <label for="upload-pages">Pages of documents</label>
      <input
        id="upload-pages"
        type="text"
        inputMode="numeric"
        placeholder="All"
        value={uploadPages.value}
        aria-invalid={invalid}
        aria-describedby="upload-pages-help"
        onInput={(e) => {
          uploadPages.value = e.currentTarget.value;
        }}
      />
      <p
        id="upload-pages-help"
        class={`small ${invalid ? "error-text" : "muted"}`}
        role={invalid ? "alert" : undefined}
      >
        {invalid
          ? "Write pages and ranges separated by commas, such as 1-3, 7 (the first page is 1)."
          : "Leave empty to read every page, or name some, such as 1-3, 7."}
      </p>
    </div>
  );
}

/**
 * Options for recordings, as this deployment's speech engines offer them (GET /v1/languages): the
 * engine when there is a choice, speaker labels and translation when an engine can, the two that
 * every engine takes (channels as speakers, a vocabulary) always. Sent with recordings only.
 */
function RecordingOptions() {
  const available = languages.value;
  if (!available) return null;
  const engines = available.speech_engines ?? [];
  const choices = speechChoices.value;
  const offer = speechOffer(engines, choices.engine);
  const { terms, error } = vocabulary.value;
  return (
    <fieldset class="upload-recording" data-testid="recording-options">
      <legend>Recordings (audio and video)</legend>
      <div class="upload-recording-grid">
        <div class="stack upload-recording-choices">
          {offer.engines.length > 1 && (
            <div class="field">
              <label for="upload-engine">Speech engine</label>
              <select
                id="upload-engine"
                value={choices.engine}
                onChange={(e) => chooseSpeech({ engine: e.currentTarget.value as typeof choices.engine })}
              >
                <option value="auto">The best one for these options</option>
                {engines.map((engine) => (
                  <option key={engine.name} value={engine.name}>
                    {engine.name}
                    {engine.default ? " (default)" : ""}
                  </option>
                ))}
              </select>
            </div>
          )}
          {offer.diarize && (
            <label class="check">
              <input
                type="checkbox"
                checked={choices.diarize}
                onChange={(e) => chooseSpeech({ diarize: e.currentTarget.checked })}
              />
              Label speakers
            </label>
          )}
          {offer.translate && (
            <label class="check">
              <input
                type="checkbox"
                checked={choices.translate}
                onChange={(e) => chooseSpeech({ translate: e.currentTarget.checked })}
              />
              Translate to English
            </label>
          )}
          {speechConflictNow.value && (
            <p class="small error-text" role="alert" data-testid="speech-conflict">
              These options cannot go together here: {speechConflictNow.value}.
            </p>
          )}
          <label class="check">
            <input
              type="checkbox"
              checked={choices.splitChannels}
              onChange={(e) => chooseSpeech({ splitChannels: e.currentTarget.checked })}
            />
            Each channel is its own speaker (call recordings)
          </label>
        </div>
        <div class="field upload-vocabulary">
          <label for="upload-vocabulary">Vocabulary</label>
          <textarea
            id="upload-vocabulary"
            rows={3}
            value={choices.vocabulary}
            aria-invalid={error !== null}
            aria-describedby="upload-vocabulary-help"
            placeholder={"Names and terms, one a line"}
            onInput={(e) => chooseSpeech({ vocabulary: e.currentTarget.value })}
          />
          <p
            id="upload-vocabulary-help"
            class={`small ${error ? "error-text" : "muted"}`}
            role={error ? "alert" : undefined}
          >
            {error ??
              `Names and terms to listen for, one a line (up to ${MAX_VOCABULARY_TERMS}${terms.length > 0 ? `; ${terms.length} now` : ""}).${
                offer.vocabulary ? "" : ` ${unusedBy(choices.engine, engines)} not use them; the result will say so.`
              }`}
          </p>
        </div>
      </div>
    </fieldset>
  );
}

/** Who would not use a vocabulary: the engine chosen, this deployment's one engine, or all of them. */
function unusedBy(engine: string, engines: readonly { name: string }[]): string {
  if (engine !== "auto") return `${engine} does`;
  return engines.length === 1 ? `The speech engine here (${engines[0]?.name}) does` : "The speech engines here do";
}
