import { readFile, writeFile } from "node:fs/promises";
import { Hono } from "hono";
import { type RequestIdVariables, requestId } from "hono/request-id";
import { z } from "zod";
import { problemResponse } from "../contracts/errors";
import { AUTO_LANGUAGE } from "../contracts/languages";
import { createLogger, type Logger } from "../contracts/log";
import { type PageRun, parsePageSelection } from "../contracts/page-selection";
import { PdfMergeLayout, type RunnerHealth } from "../contracts/runner";
import type { EngineInventory } from "./engine-inventory";
import type { OcrEngine } from "./engines/ocr-engine";
import { poppler } from "./engines/poppler";
import { qpdf } from "./engines/qpdf";
import type { SpeechEngine } from "./engines/speech-engine";
import { ExecError } from "./exec";
import { JobAdmission } from "./job-admission";
import { JobScope } from "./job-scope";
import { streamJob } from "./job-stream";
import { isAvMediaType, isOcrMediaType, mediaTypeOf } from "./pipelines/media-types";
import { recognizeDocument } from "./pipelines/ocr";
import { planParts } from "./pipelines/plan";
import { type ChannelMode, streamSpeechChunks, transcribeMedia } from "./pipelines/transcribe";
import type { ProcessPool } from "./pool";

export interface AppDeps {
  pool: ProcessPool;
  /** Jobs accepted at once; more are refused with 503 + Retry-After. */
  maxJobs: number;
  engineTimeoutMs: number;
  /** Address space each engine process may use. */
  engineMemoryBytes: number;
  /** Niceness of engine processes (RunnerConfig.engineNice). */
  engineNice: number;
  chunkSeconds: number;
  /** The most pixels one page may have (images) or be rendered at (PDF pages, by lowering the resolution). */
  maxPageMegapixels: number;
  ocr: OcrEngine;
  speech: SpeechEngine;
  inventory: EngineInventory;
  /** Where the runner's log lines go (JSON, one per event; see contracts/log.ts). */
  log?: Logger;
}

/** `first_page`/`last_page`: one part of a document (both or neither). */
const PageQuery = z
  .object({ first_page: z.coerce.number().int().positive(), last_page: z.coerce.number().int().positive() })
  .refine((q) => q.first_page <= q.last_page, "first_page must not be after last_page")
  .transform((q) => ({ first: q.first_page, last: q.last_page }))
  .optional();
/** `start_s`/`end_s`: one span of a recording (both or neither). */
const SpanQuery = z
  .object({ start_s: z.coerce.number().nonnegative(), end_s: z.coerce.number().positive() })
  .refine((q) => q.start_s < q.end_s, "start_s must be before end_s")
  .transform((q) => ({ start: q.start_s, end: q.end_s }))
  .optional();
const PlanQuery = z.object({
  pages_per_part: z.coerce.number().int().positive().default(10),
  seconds_per_part: z.coerce.number().min(5).default(600),
});

/** `pages`: only these pages of a document (`options.pages`, e.g. "1-3,7"). */
function selectionQuery(text: string | undefined): { ok: true; value?: PageRun[] } | { ok: false; detail: string } {
  if (text === undefined) return { ok: true };
  const runs = parsePageSelection(text);
  return runs
    ? { ok: true, value: runs }
    : { ok: false, detail: `pages: "${text}" is not a list of pages such as "1-3,7"` };
}

/** `channels=mix|split` (default `mix`), or an error message. */
function channelQuery(text: string | undefined): { ok: true; value: ChannelMode } | { ok: false; detail: string } {
  if (text === undefined || text === "mix" || text === "split") return { ok: true, value: text ?? "mix" };
  return { ok: false, detail: `channels: "${text}" is neither "mix" nor "split"` };
}

/** The part asked for in the query string (`fields` present), or an error message. */
function partQuery<T extends z.ZodType>(
  schema: T,
  query: Record<string, string>,
  fields: readonly string[],
): { ok: true; value: z.output<T> } | { ok: false; detail: string } {
  const given = fields.some((field) => field in query);
  const parsed = schema.safeParse(given ? Object.fromEntries(fields.map((f) => [f, query[f]])) : undefined);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, detail: z.prettifyError(parsed.error) };
}

/** The runner's HTTP API (see contracts/runner.ts). */
export function createApp(deps: AppDeps): Hono<{ Variables: RequestIdVariables }> {
  const { pool, engineTimeoutMs, engineMemoryBytes, engineNice, inventory } = deps;
  const admission = new JobAdmission(deps.maxJobs);
  const ocrDeps = { ocr: deps.ocr, maxPagePixels: deps.maxPageMegapixels * 1_000_000 };
  const baseLog = deps.log ?? createLogger("runner");
  // Takes the caller's X-Request-Id or makes one; problem bodies and logs carry it.
  const app = new Hono<{ Variables: RequestIdVariables }>().use(requestId());
  const jobLog = (c: { get(key: "requestId"): string; req: { path: string } }) =>
    baseLog.with({ request_id: c.get("requestId"), stage: c.req.path.split("/").pop() });

  app.get("/healthz", async (c) => {
    const { complete, engines, languages } = await inventory.read();
    const health: RunnerHealth = { ok: complete, concurrency: pool.size, busy: pool.busy, engines, languages };
    return c.json(health, complete ? 200 : 503);
  });

  app.post("/v1/ocr", async (c) => {
    const id = c.get("requestId");
    const mediaType = mediaTypeOf(c.req.header("content-type"));
    if (!isOcrMediaType(mediaType)) {
      return problemResponse(
        "unsupported_media_type",
        id,
        `OCR takes PDF, PNG, JPEG, TIFF or WebP, not "${mediaType}"`,
      );
    }
    // "eng+deu" arrives as "eng deu" when the client did not encode the +.
    const requested = (c.req.query("language") ?? "").split(/[+ ]/);
    const language = requested.join("+");
    const { languages } = await inventory.read();
    const known =
      language === AUTO_LANGUAGE ? languages.length > 0 : requested.every((part) => languages.includes(part));
    if (!known) {
      const detail = `Unknown OCR language "${language}"; installed: ${languages.join(", ") || "none"} (combine with +, or "auto")`;
      return problemResponse("validation_failed", id, detail);
    }
    const pages = partQuery(PageQuery, c.req.query(), ["first_page", "last_page"]);
    if (!pages.ok) return problemResponse("validation_failed", id, pages.detail);
    const selection = selectionQuery(c.req.query("pages"));
    if (!selection.ok) return problemResponse("validation_failed", id, selection.detail);
    // On unless turned off: `rotate_pages=false`, `deskew=false`.
    const upright = { rotatePages: c.req.query("rotate_pages") !== "false", deskew: c.req.query("deskew") !== "false" };
    return streamJob(
      c.req.raw,
      { pool, admission, engineTimeoutMs, engineMemoryBytes, engineNice, language, requestId: id, log: jobLog(c) },
      async (job) => {
        const { result, pdf } = await recognizeDocument(job, mediaType, ocrDeps, {
          range: pages.value,
          selection: selection.value,
          upright,
          installed: languages,
        });
        return { type: "result", result, pdf_base64: pdf.toString("base64") };
      },
    );
  });

  app.post("/v1/transcribe", async (c) => {
    const id = c.get("requestId");
    const mediaType = mediaTypeOf(c.req.header("content-type"));
    if (!isAvMediaType(mediaType)) {
      return problemResponse("unsupported_media_type", id, `Transcription takes audio or video, not "${mediaType}"`);
    }
    const language = c.req.query("language") ?? "";
    if (!deps.speech.languages.includes(language)) {
      const detail = `Unknown speech language "${language}"; supported: ${deps.speech.languages.join(", ")}`;
      return problemResponse("validation_failed", id, detail);
    }
    const span = partQuery(SpanQuery, c.req.query(), ["start_s", "end_s"]);
    if (!span.ok) return problemResponse("validation_failed", id, span.detail);
    const channels = channelQuery(c.req.query("channels"));
    if (!channels.ok) return problemResponse("validation_failed", id, channels.detail);
    return streamJob(
      c.req.raw,
      { pool, admission, engineTimeoutMs, engineMemoryBytes, engineNice, language, requestId: id, log: jobLog(c) },
      async (job) => {
        const result = await transcribeMedia(job, {
          speech: deps.speech,
          chunkSeconds: deps.chunkSeconds,
          span: span.value,
          channels: channels.value,
        });
        return { type: "result", result };
      },
    );
  });

  app.post("/v1/audio-chunks", async (c) => {
    const id = c.get("requestId");
    const mediaType = mediaTypeOf(c.req.header("content-type"));
    if (!isAvMediaType(mediaType)) {
      return problemResponse("unsupported_media_type", id, `Audio chunks come from audio or video, not "${mediaType}"`);
    }
    const span = partQuery(SpanQuery, c.req.query(), ["start_s", "end_s"]);
    if (!span.ok) return problemResponse("validation_failed", id, span.detail);
    const channels = channelQuery(c.req.query("channels"));
    if (!channels.ok) return problemResponse("validation_failed", id, channels.detail);
    // The recognizer is elsewhere, so the language is its business, not the runner's.
    return streamJob(
      c.req.raw,
      { pool, admission, engineTimeoutMs, engineMemoryBytes, engineNice, language: "", requestId: id, log: jobLog(c) },
      (job) => streamSpeechChunks(job, deps.chunkSeconds, { span: span.value, channels: channels.value }),
    );
  });

  app.post("/v1/plan", async (c) => {
    const id = c.get("requestId");
    const mediaType = mediaTypeOf(c.req.header("content-type"));
    if (!isOcrMediaType(mediaType) && !isAvMediaType(mediaType)) {
      return problemResponse(
        "unsupported_media_type",
        id,
        `Plans are made for documents and recordings, not "${mediaType}"`,
      );
    }
    const query = PlanQuery.safeParse(c.req.query());
    if (!query.success) return problemResponse("validation_failed", id, z.prettifyError(query.error));
    const { pages_per_part: pagesPerPart, seconds_per_part: secondsPerPart } = query.data;
    const selection = selectionQuery(c.req.query("pages"));
    if (!selection.ok) return problemResponse("validation_failed", id, selection.detail);
    return streamJob(
      c.req.raw,
      { pool, admission, engineTimeoutMs, engineMemoryBytes, engineNice, language: "", requestId: id, log: jobLog(c) },
      (job) => planParts(job, mediaType, { ...ocrDeps, pagesPerPart, secondsPerPart, selection: selection.value }),
    );
  });

  /**
   * Joins the searchable PDFs of a fanned-out OCR job's parts, in the order of the `file` fields; or,
   * with a `layout` (PdfMergeLayout), in its order, with pages of the `source` document where parts
   * failed. If those pages cannot be taken (a damaged source), the parts alone are joined.
   */
  app.post("/v1/pdf/merge", async (c) => {
    const id = c.get("requestId");
    const form = await c.req.formData().catch(() => null);
    const files = (form?.getAll("file") ?? []).filter((entry): entry is File => typeof entry !== "string");
    if (files.length === 0) {
      return problemResponse("validation_failed", id, "Send the PDFs to merge as multipart fields named `file`");
    }
    const source = form?.get("source");
    const layoutField = form?.get("layout");
    let layout: PdfMergeLayout | null = null;
    if (typeof layoutField === "string") {
      let parsed: unknown = null;
      try {
        parsed = JSON.parse(layoutField);
      } catch {}
      const checked = PdfMergeLayout.safeParse(parsed);
      const fits =
        checked.success &&
        checked.data.every((item) => ("file" in item ? item.file < files.length : source instanceof File));
      if (!checked.success || !fits) {
        const detail = "`layout` must list `file` indexes sent and `source` page runs (with a `source` file)";
        return problemResponse("validation_failed", id, detail);
      }
      layout = checked.data;
    }
    const scope = await JobScope.open({
      pool,
      timeoutMs: engineTimeoutMs,
      memoryBytes: engineMemoryBytes,
      nice: engineNice,
      requestSignal: c.req.raw.signal,
    });
    try {
      const paths = await Promise.all(
        files.map(async (file, index) => {
          const path = scope.path(`part-${index}.pdf`);
          await writeFile(path, Buffer.from(await file.arrayBuffer()));
          return path;
        }),
      );
      const output = scope.path("merged.pdf");
      let merged: string | null = null;
      if (layout) {
        const sourcePath = scope.path("source.pdf");
        if (source instanceof File) await writeFile(sourcePath, Buffer.from(await source.arrayBuffer()));
        const runs = layout.map((item) =>
          "file" in item
            ? { path: paths[item.file] as string, first: 1, last: null }
            : { path: sourcePath, first: item.source[0], last: item.source[1] },
        );
        merged = await qpdf.assemble(scope.run, runs, output).catch((err: unknown) => {
          // Only qpdf refusing the input (a damaged original) falls back; a time or memory limit,
          // or an abort, fails the merge, which is then retried.
          if (!(err instanceof ExecError && err.failure === "exit")) throw err;
          jobLog(c).warn("original pages not taken: the parts alone are joined", { error: String(err) });
          return null;
        });
      }
      merged ??= await poppler.merge(scope.run, paths, output);
      return c.body(await readFile(merged), 200, { "content-type": "application/pdf" });
    } finally {
      await scope.close();
    }
  });

  app.notFound((c) => problemResponse("not_found", c.get("requestId"), `No route ${c.req.method} ${c.req.path}`));
  app.onError((error, c) => {
    baseLog.error("unhandled error", { request_id: c.get("requestId"), error: String(error) });
    return problemResponse("internal_error", c.get("requestId"), "The runner failed before the job started");
  });
  return app;
}
