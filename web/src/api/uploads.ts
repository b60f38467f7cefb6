import { problemOf } from "../../../client";
import type { JobOptions } from "../../../contracts/job";
import type { Upload } from "../../../contracts/uploads";
import { USER_STORAGE_PREFIX } from "../state/session";
import { API_URL, ApiError, api, authHeaders, type Job, unwrap } from "./client";
import { missingParts } from "./parts";

/**
 * Sending files, with byte progress (XMLHttpRequest: browsers report upload progress only there).
 * Small files go in one request (POST /v1/jobs); large ones in parts (POST /v1/uploads, PUT each
 * part, complete), and an upload that broke off resumes from the parts the API already has, on
 * this page or after a reload (the upload's id is remembered per file). Every creating request
 * carries an Idempotency-Key, so sending again never makes a second job.
 */
export type Progress = (sent: number, total: number) => void;

function send(
  method: string,
  path: string,
  body: XMLHttpRequestBodyInit,
  headers: Record<string, string>,
  onProgress?: (loaded: number) => void,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, `${API_URL}${path}`);
    for (const [name, value] of Object.entries({ ...authHeaders(), ...headers })) xhr.setRequestHeader(name, value);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => onProgress?.(e.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) return resolve(xhr.response);
      const answer = new Response(null, {
        status: xhr.status,
        statusText: xhr.statusText,
        headers: { "x-request-id": xhr.getResponseHeader("x-request-id") ?? "" },
      });
      problemOf(answer, xhr.response).then((problem) => reject(new ApiError(problem)), reject);
    };
    xhr.onerror = () => reject(new Error("The connection broke off while sending. Send again to go on."));
    xhr.send(body);
  });
}

/** The job options an upload asks for (the API's defaults for what it leaves out). */
export type SendOptions = Partial<
  Pick<JobOptions, "language" | "pages" | "engine" | "vocabulary" | "translate" | "diarize" | "channels">
>;

export async function uploadWhole(
  file: File,
  idempotencyKey: string,
  onProgress: Progress,
  options: SendOptions,
): Promise<Job> {
  const form = new FormData();
  form.append("file", file, file.name);
  form.append("options", JSON.stringify(options));
  const progress = (loaded: number) => onProgress(Math.min(loaded, file.size), file.size);
  return (await send("POST", "/v1/jobs", form, { "idempotency-key": idempotencyKey }, progress)) as Job;
}

/** Where a file's multipart upload is remembered, so choosing the same file again resumes it. */
const resumeKey = (file: File) => `${USER_STORAGE_PREFIX}upload:${file.name}:${file.size}:${file.lastModified}`;

export async function uploadInParts(
  file: File,
  idempotencyKey: string,
  onProgress: Progress,
  options: SendOptions,
): Promise<Job> {
  const upload = await resumableUpload(file, idempotencyKey, options);
  // Completed earlier, though its answer never arrived: that job is this file's.
  if (upload.job_id)
    return done(file, await unwrap(api.GET("/v1/jobs/{id}", { params: { path: { id: upload.job_id } } })));
  let sent = upload.received.reduce((sum, n) => sum + partSize(upload, n), 0);
  onProgress(sent, file.size);
  for (const n of missingParts(upload.part_count, upload.received)) {
    const start = (n - 1) * upload.part_size;
    const part = file.slice(start, Math.min(file.size, start + upload.part_size));
    await send("PUT", `/v1/uploads/${upload.id}/parts/${n}`, part, {}, (loaded) =>
      onProgress(sent + loaded, file.size),
    );
    sent += part.size;
    onProgress(sent, file.size);
  }
  return done(file, (await send("POST", `/v1/uploads/${upload.id}/complete`, "", {})) as Job);
}

function done(file: File, job: Job): Job {
  localStorage.removeItem(resumeKey(file));
  return job;
}

const partSize = (upload: Upload, n: number) => Math.min(upload.part_size, upload.size - (n - 1) * upload.part_size);

/** The upload to continue (one begun earlier for this very file, if the API still has it) or a new one. */
async function resumableUpload(file: File, idempotencyKey: string, options: SendOptions): Promise<Upload> {
  const earlier = localStorage.getItem(resumeKey(file));
  if (earlier) {
    const { data } = await api.GET("/v1/uploads/{id}", { params: { path: { id: earlier } } });
    if (data && (data.job_id || Date.parse(data.expires_at) > Date.now())) return data;
    localStorage.removeItem(resumeKey(file));
  }
  const created = await unwrap(
    api.POST("/v1/uploads", {
      body: { file_name: file.name, size: file.size, options },
      params: { header: { "idempotency-key": idempotencyKey } },
    }),
  );
  localStorage.setItem(resumeKey(file), created.id);
  return created;
}
