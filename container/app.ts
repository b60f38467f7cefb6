import { Hono } from "hono";
import { type RequestIdVariables, requestId } from "hono/request-id";
import { createLogger, type Logger } from "../contracts/log";
import type { RunnerHealth } from "../contracts/runner";
import type { EngineInventory } from "./engine-inventory";
import type { OcrEngine } from "./engines/ocr-engine";
import type { SpeechEngine } from "./engines/speech-engine";
import { JobAdmission } from "./job-admission";
import { streamJob } from "./job-stream";
import { isAvMediaType, isOcrMediaType, mediaTypeOf } from "./pipelines/media-types";
import { recognizeDocument } from "./pipelines/ocr";
import { streamSpeechChunks, transcribeMedia } from "./pipelines/transcribe";
import type { ProcessPool } from "./pool";
import { problemResponse } from "./problem";

export interface AppDeps {
  pool: ProcessPool;
  /** Jobs accepted at once; more are refused with 503 + Retry-After. */
  maxJobs: number;
  engineTimeoutMs: number;
  chunkSeconds: number;
  ocr: OcrEngine;
  speech: SpeechEngine;
  inventory: EngineInventory;
  /** Where the runner's log lines go (JSON, one per event; see contracts/log.ts). */
  log?: Logger;
}

/** The runner's HTTP API (see contracts/runner.ts). */
export function createApp(deps: AppDeps): Hono<{ Variables: RequestIdVariables }> {
  const { pool, engineTimeoutMs, inventory } = deps;
  const admission = new JobAdmission(deps.maxJobs);
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
        `OCR takes PDF, PNG, JPEG, TIFF or WebP, not "${mediaType}"`,
        id,
      );
    }
    // "eng+deu" arrives as "eng deu" when the client did not encode the +.
    const requested = (c.req.query("language") ?? "").split(/[+ ]/);
    const language = requested.join("+");
    const { languages } = await inventory.read();
    if (!requested.every((part) => languages.includes(part))) {
      const detail = `Unknown OCR language "${language}"; installed: ${languages.join(", ") || "none"} (combine with +)`;
      return problemResponse("validation_failed", detail, id);
    }
    return streamJob(
      c.req.raw,
      { pool, admission, engineTimeoutMs, language, requestId: id, log: jobLog(c) },
      async (job) => {
        const { result, pdf } = await recognizeDocument(job, mediaType, deps.ocr);
        return { type: "result", result, pdf_base64: pdf.toString("base64") };
      },
    );
  });

  app.post("/v1/transcribe", async (c) => {
    const id = c.get("requestId");
    const mediaType = mediaTypeOf(c.req.header("content-type"));
    if (!isAvMediaType(mediaType)) {
      return problemResponse("unsupported_media_type", `Transcription takes audio or video, not "${mediaType}"`, id);
    }
    const language = c.req.query("language") ?? "";
    if (!deps.speech.languages.includes(language)) {
      const detail = `Unknown speech language "${language}"; supported: ${deps.speech.languages.join(", ")}`;
      return problemResponse("validation_failed", detail, id);
    }
    return streamJob(
      c.req.raw,
      { pool, admission, engineTimeoutMs, language, requestId: id, log: jobLog(c) },
      async (job) => {
        const result = await transcribeMedia(job, { speech: deps.speech, chunkSeconds: deps.chunkSeconds });
        return { type: "result", result };
      },
    );
  });

  app.post("/v1/audio-chunks", async (c) => {
    const id = c.get("requestId");
    const mediaType = mediaTypeOf(c.req.header("content-type"));
    if (!isAvMediaType(mediaType)) {
      return problemResponse("unsupported_media_type", `Audio chunks come from audio or video, not "${mediaType}"`, id);
    }
    // The recognizer is elsewhere, so the language is its business, not the runner's.
    return streamJob(
      c.req.raw,
      { pool, admission, engineTimeoutMs, language: "", requestId: id, log: jobLog(c) },
      (job) => streamSpeechChunks(job, deps.chunkSeconds),
    );
  });

  app.notFound((c) => problemResponse("not_found", `No route ${c.req.method} ${c.req.path}`, c.get("requestId")));
  app.onError((error, c) => {
    baseLog.error("unhandled error", { request_id: c.get("requestId"), error: String(error) });
    return problemResponse("internal_error", "The runner failed before the job started", c.get("requestId"));
  });
  return app;
}
