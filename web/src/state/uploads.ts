import { computed, signal } from "@preact/signals";
import { profileOf } from "../../../contracts/estimates";
import type { Usage } from "../../../contracts/limits";
import type { Job } from "../api/client";
import { type SendOptions, uploadInParts, uploadWhole } from "../api/uploads";
import { countPdfPages } from "../lib/pdf";
import { languages, uploadLanguage } from "./languages";
import { clearOnSignOut } from "./session";
import { speechChoices, uploadOptions } from "./speech-options";
import { type Assessment, assessAll, checkType, type Measure, type Verdict } from "./upload-rules";
import { loadUsage, usage, usageError } from "./usage";

/**
 * The files chosen on the upload page: each is checked (type, size), measured (pages or duration,
 * read in the browser) and assessed (limits, quota, estimated time) before anything is sent; then
 * sent with byte progress, two at a time.
 */
export type UploadItem = {
  id: string;
  file: File;
  idempotencyKey: string;
  state: "checking" | "rejected" | "ready" | "uploading" | "sent" | "failed";
  verdict: Verdict | null;
  measure: Measure | null;
  assessment: Assessment | null;
  sent: number;
  job: Job | null;
  error: unknown;
  /** The options it was sent with (set when first sent). */
  options?: SendOptions;
};

export const uploadItems = signal<UploadItem[]>([]);
/** The pages of documents to read ("1-3,7"); empty for all. */
export const uploadPages = signal("");
clearOnSignOut(() => {
  uploadItems.value = [];
  uploadPages.value = "";
});
export const readyCount = computed(() => uploadItems.value.filter((i) => i.state === "ready").length);

const PARALLEL = 2;

function update(id: string, patch: Partial<UploadItem>) {
  uploadItems.value = uploadItems.value.map((item) => (item.id === id ? { ...item, ...patch } : item));
}

export async function addFiles(files: Iterable<File>): Promise<void> {
  const added = [...files].map(
    (file): UploadItem => ({
      id: crypto.randomUUID(),
      file,
      idempotencyKey: crypto.randomUUID(),
      state: "checking",
      verdict: null,
      measure: null,
      assessment: null,
      sent: 0,
      job: null,
      error: null,
    }),
  );
  uploadItems.value = [...uploadItems.value, ...added];
  const current = usage.value ?? (await loadUsage());
  await Promise.all(added.map((item) => check(item, current)));
}

async function check(item: UploadItem, current: typeof usage.value) {
  if (!current) return update(item.id, { state: "failed", error: usageError.value });
  const verdict = await checkType(item.file, current.uploads);
  if (!verdict.ok) return update(item.id, { state: "rejected", verdict });
  const measure = await measureFile(item.file, verdict.mime);
  update(item.id, { verdict, measure });
  reassess(current);
}

/** The files waiting to be sent, assessed together (what is left of the quota goes to the first ones). */
function reassess(current: Usage) {
  const waiting = uploadItems.value.filter(
    (i) => i.verdict?.ok && i.state !== "uploading" && i.state !== "sent" && i.state !== "failed",
  );
  const assessments = assessAll(
    waiting.map((i) => i.measure),
    current,
  );
  waiting.forEach((item, n) => {
    const assessment = assessments[n] ?? null;
    update(item.id, { assessment, state: assessment && assessment.errors.length > 0 ? "rejected" : "ready" });
  });
}

/** Pages of a PDF (PDF.js), 1 for an image, the duration of audio or video (the browser's own decoder). */
export async function measureFile(file: File, mime: string): Promise<Measure | null> {
  const profile = profileOf(mime);
  if (profile === "pdf") {
    const pages = await countPdfPages(file);
    return pages === null ? null : { pages, profile };
  }
  // A TIFF may hold many pages, which the browser cannot count: unknown until the runner reads it.
  if (mime === "image/tiff") return null;
  if (profile === "image") return { pages: 1, profile };
  const seconds = await mediaDuration(file, profile);
  return seconds === null ? null : { minutes: seconds / 60, profile };
}

function mediaDuration(file: File, tag: "audio" | "video"): Promise<number | null> {
  return new Promise((resolve) => {
    const media = document.createElement(tag);
    const url = URL.createObjectURL(file);
    const done = (value: number | null) => {
      URL.revokeObjectURL(url);
      media.removeAttribute("src");
      resolve(value);
    };
    media.preload = "metadata";
    media.onloadedmetadata = () => done(Number.isFinite(media.duration) ? media.duration : null);
    media.onerror = () => done(null);
    setTimeout(() => done(null), 10_000);
    media.src = url;
  });
}

export function removeItem(id: string): void {
  uploadItems.value = uploadItems.value.filter((item) => item.id !== id);
  if (usage.value) reassess(usage.value);
}

export function clearFinished(): void {
  uploadItems.value = uploadItems.value.filter((item) => item.state !== "sent" && item.state !== "rejected");
}

/** A file whose sending failed may be sent again: same Idempotency-Key (no second job), and parts already sent are kept. */
export const canRetry = (item: UploadItem) => item.state === "failed" && item.verdict?.ok === true;

export async function retry(id: string): Promise<void> {
  const item = uploadItems.value.find((i) => i.id === id);
  if (!item || !canRetry(item)) return;
  update(id, { state: "uploading", error: null });
  await send(item);
  await refreshUsage();
}

/** After sending: what is used now, and the files still waiting assessed against it. */
async function refreshUsage() {
  const current = await loadUsage();
  if (current) reassess(current);
}

/** The options the upload page's choices give a file of `kind` (see uploadOptions). */
export function optionsFor(kind: "ocr" | "av"): SendOptions {
  return uploadOptions(kind, {
    language: uploadLanguage.value,
    pages: uploadPages.value,
    speech: speechChoices.value,
    engines: languages.value?.speech_engines ?? [],
  });
}

/** Sends every ready file. */
export async function sendAll(): Promise<void> {
  const queue = uploadItems.value.filter((i) => i.state === "ready");
  for (const item of queue) update(item.id, { state: "uploading", error: null });
  const workers = Array.from({ length: PARALLEL }, async () => {
    for (let item = queue.shift(); item; item = queue.shift()) await send(item);
  });
  await Promise.all(workers);
  await refreshUsage();
}

async function send(item: UploadItem) {
  const onProgress = (sent: number) => update(item.id, { sent });
  // The options chosen when it was first sent: sending again asks for the same (its Idempotency-Key's request).
  const options = item.options ?? optionsFor(item.verdict?.ok ? item.verdict.kind : "ocr");
  update(item.id, { options });
  try {
    const inParts = item.verdict?.ok === true && item.verdict.inParts;
    const job = inParts
      ? await uploadInParts(item.file, item.idempotencyKey, onProgress, options)
      : await uploadWhole(item.file, item.idempotencyKey, onProgress, options);
    update(item.id, { state: "sent", job, sent: item.file.size });
  } catch (err) {
    update(item.id, { state: "failed", error: err });
  }
}
