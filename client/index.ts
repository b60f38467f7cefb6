import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

/**
 * The typed client of the Verbatim API: every route, its parameters and its answers come from the
 * OpenAPI document the worker serves (client/openapi.json → client/schema.d.ts). Runs wherever
 * `fetch` and `WebSocket` do: Node 22, browsers, Workers.
 */
export type { paths };
export type Job = paths["/v1/jobs/{id}"]["get"]["responses"][200]["content"]["application/json"];
export type JobEvent = { seq: number; type: "snapshot" | "status" | "progress"; job: Job };
/** RFC 9457 problem details, as the API answers every refusal and failure (its `code` is stable). */
export type Problem = components["schemas"]["Problem"];

/** A refused or failed request, with the API's problem (its stable `code` and `request_id`). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(`${problem.code}: ${problem.detail ?? problem.title} (request ${problem.request_id})`);
    this.name = "ApiError";
  }
}

const TERMINAL = ["succeeded", "failed", "canceled"];
/** Failed tries in a row (no event between them) after which follow() gives up. */
const FOLLOW_ATTEMPTS = 20;

/** The problem of a refused request: from its body (read already, or here), else made from its status. */
export async function problemOf(res: Response, parsed?: unknown): Promise<Problem> {
  const body = (parsed ?? (await res.json().catch(() => null))) as Problem | null;
  return body?.code
    ? body
    : {
        type: "urn:verbatim:error:internal_error",
        code: "internal_error",
        title: res.statusText,
        status: res.status,
        request_id: res.headers.get("x-request-id") ?? "",
      };
}

/**
 * How to submit a file: the job's `language`, OCR's `rotatePages` and `deskew` (on unless set to
 * false) and `pages` (only these, e.g. "1-3,7"), a recording's speech options (`engine`, `vocabulary`,
 * `translate`, `diarize`, `channels`: see the API's job options), an `idempotencyKey` that makes a retry
 * return the same job, and `onUpload` to hear the bytes sent so far.
 */
export type SubmitOptions = {
  language?: string;
  rotatePages?: boolean;
  deskew?: boolean;
  pages?: string;
  engine?: "auto" | "pocketsphinx" | "whisper" | "nova-3";
  vocabulary?: string[];
  translate?: boolean;
  diarize?: boolean;
  channels?: "mix" | "split";
  idempotencyKey?: string;
  onUpload?: (sent: number, total: number) => void;
};

/** The job options a submission names (null when it names none: the API's defaults). */
function jobOptionsOf(submit: SubmitOptions) {
  const { language, rotatePages, deskew, pages, engine, vocabulary, translate, diarize, channels } = submit;
  const options = {
    ...(language ? { language } : {}),
    ...(pages ? { pages } : {}),
    ...(rotatePages === false ? { rotate_pages: false } : {}),
    ...(deskew === false ? { deskew: false } : {}),
    ...(engine ? { engine } : {}),
    ...(vocabulary?.length ? { vocabulary } : {}),
    ...(translate ? { translate } : {}),
    ...(diarize ? { diarize } : {}),
    ...(channels ? { channels } : {}),
  };
  return Object.keys(options).length > 0 ? options : null;
}

export function createVerbatimClient({ baseUrl, token }: { baseUrl: string; token: string }) {
  const headers = { authorization: `Bearer ${token}` };
  const api = createClient<paths>({ baseUrl, headers });

  async function job(id: string): Promise<Job> {
    const { data, error, response } = await api.GET("/v1/jobs/{id}", { params: { path: { id } } });
    if (!data) throw new ApiError(await problemOf(response, error));
    return data;
  }

  /**
   * One connection to a job's events (opened with a single-use ticket, as browsers must), until it
   * closes: the server closes it after the terminal event. Resolves with the last job it reported.
   */
  async function listen(id: string, onEvent: (event: JobEvent) => void): Promise<Job | null> {
    const { data, error, response } = await api.POST("/v1/jobs/{id}/events/ticket", { params: { path: { id } } });
    if (!data) throw new ApiError(await problemOf(response, error));
    const url = new URL(data.url, baseUrl);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    return new Promise<Job | null>((resolve) => {
      let latest: Job | null = null;
      const socket = new WebSocket(url);
      socket.addEventListener("message", (message) => {
        const event = JSON.parse(String(message.data)) as JobEvent;
        latest = event.job;
        onEvent(event);
        // The terminal event is the last: done now, not when the connection has wound down.
        if (TERMINAL.includes(event.job.status)) {
          resolve(latest);
          socket.close();
        }
      });
      // A connection that fails or drops ends this listen; follow() decides what comes next.
      socket.addEventListener("close", () => resolve(latest));
      socket.addEventListener("error", () => resolve(latest));
    });
  }

  return {
    api,

    /**
     * Uploads a file (multipart) and returns the new job. `onUpload` hears the bytes sent so far;
     * `idempotencyKey` makes a retry of the same request return the same job.
     */
    async submit(file: Blob, name: string, options: SubmitOptions = {}): Promise<Job> {
      const form = new FormData();
      form.append("file", file, name);
      const jobOptions = jobOptionsOf(options);
      if (jobOptions) form.append("options", JSON.stringify(jobOptions));
      const encoded = new Response(form);
      const total = file.size;
      let sent = 0;
      const counted = encoded.body?.pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            sent = Math.min(total, sent + chunk.byteLength);
            options.onUpload?.(sent, total);
            controller.enqueue(chunk);
          },
        }),
      );
      const res = await fetch(`${baseUrl}/v1/jobs`, {
        method: "POST",
        body: counted,
        headers: {
          ...headers,
          "content-type": encoded.headers.get("content-type") ?? "multipart/form-data",
          ...(options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {}),
        },
        // A streamed request body (for upload progress) needs half-duplex.
        duplex: "half",
      } as RequestInit);
      if (!res.ok) throw new ApiError(await problemOf(res));
      return (await res.json()) as Job;
    },

    /**
     * Uploads a large file in parts (POST /v1/uploads, PUT each part, complete) and returns the job;
     * `onUpload` hears the bytes sent so far. Each part is retried once if sending it failed.
     */
    async submitInParts(file: Blob, name: string, options: SubmitOptions = {}): Promise<Job> {
      const {
        data: upload,
        error,
        response,
      } = await api.POST("/v1/uploads", {
        body: {
          file_name: name,
          size: file.size,
          ...(jobOptionsOf(options) ? { options: jobOptionsOf(options) ?? {} } : {}),
        },
        params: { header: options.idempotencyKey ? { "idempotency-key": options.idempotencyKey } : {} },
      });
      if (!upload) throw new ApiError(await problemOf(response, error));
      // A retry with the same Idempotency-Key gets the upload as it is now: its job, or what it lacks.
      if (upload.job_id) return job(upload.job_id);
      let sent = 0;
      for (let n = 1; n <= upload.part_count; n++) {
        const part = file.slice((n - 1) * upload.part_size, Math.min(file.size, n * upload.part_size));
        if (upload.received.includes(n)) {
          sent += part.size;
          continue;
        }
        const put = () =>
          fetch(`${baseUrl}/v1/uploads/${upload.id}/parts/${n}`, { method: "PUT", body: part, headers });
        const res = await put().then((r) => (r.ok ? r : put()));
        if (!res.ok) throw new ApiError(await problemOf(res));
        sent += part.size;
        options.onUpload?.(sent, file.size);
      }
      const done = await fetch(`${baseUrl}/v1/uploads/${upload.id}/complete`, { method: "POST", headers });
      if (!done.ok) throw new ApiError(await problemOf(done));
      return (await done.json()) as Job;
    },

    job,

    /**
     * Follows a job over its WebSocket until it ends; `onEvent` hears every snapshot, status and
     * progress message. A connection that drops or fails before the end, and a failure of the network
     * or of the service (5xx, 429), are waited out: it tries again after 0.5 s, doubling up to 30 s,
     * and gives up after FOLLOW_ATTEMPTS in a row with no event (about 8 minutes). A refusal (the job
     * is gone, the key revoked) ends it at once.
     */
    async follow(id: string, onEvent: (event: JobEvent) => void = () => {}): Promise<Job> {
      for (let failures = 0; ; ) {
        let last: Job | null = null;
        try {
          last = await listen(id, onEvent);
          if (last && TERMINAL.includes(last.status)) return last;
          // It may have ended while no connection was open.
          const now = await job(id);
          if (TERMINAL.includes(now.status)) return now;
        } catch (err) {
          const refused = err instanceof ApiError && err.problem.status < 500 && err.problem.status !== 429;
          if (refused || failures + 1 >= FOLLOW_ATTEMPTS) throw err;
        }
        failures = last ? 0 : failures + 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** failures)));
      }
    },

    /** A succeeded job's result in one format (OCR: txt, json, md, pdf; A/V: txt, json, srt, vtt), as bytes. */
    async result(id: string, format: ResultFormat): Promise<Uint8Array> {
      const res = await fetch(`${baseUrl}/v1/jobs/${id}/result?format=${format}`, { headers });
      if (!res.ok) throw new ApiError(await problemOf(res));
      return new Uint8Array(await res.arrayBuffer());
    },
  };
}

export type VerbatimClient = ReturnType<typeof createVerbatimClient>;
export type ResultFormat = NonNullable<
  NonNullable<paths["/v1/jobs/{id}/result"]["get"]["parameters"]["query"]>["format"]
>;
