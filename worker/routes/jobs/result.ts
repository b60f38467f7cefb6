import { createRoute, z } from "@hono/zod-openapi";
import { AvResult, OcrResult, OUTPUT_FORMATS, ResultFormat, resultFileName } from "../../../contracts";
import { resultKey } from "../../../contracts/storage";
import { newApp } from "../../app";
import { ApiError } from "../../errors";
import { requireScope } from "../../middleware/auth";
import { ocrMarkdown } from "../../services/ocr-markdown";
import { ownedJob } from "../../services/ownership";
import { ocrText, toSrt, toVtt, transcriptText } from "../../services/render-result";
import { authErrors, problem } from "../shared";
import { JobIdParam } from "./schemas";

const route = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs/{id}/result",
  operationId: "getJobResult",
  summary: "The result of a succeeded job in one format",
  description:
    "OCR: txt, json, md (Markdown: paragraphs in reading order, headings, lists, simple tables), pdf (searchable). A/V: txt, json, srt, vtt.",
  request: { params: JobIdParam, query: z.object({ format: ResultFormat.default("txt") }) },
  responses: {
    200: { description: "the result in the asked format" },
    ...authErrors("jobs:read"),
    400: problem("format not available for this kind of job (`format_not_available`)"),
    404: problem("no such job for this caller"),
    409: problem("the job has not succeeded (`result_not_ready`)"),
    422: problem("an id that is not a job id, or an unknown format (`validation_failed`)"),
  },
});

const TYPES = {
  txt: "text/plain; charset=utf-8",
  json: "application/json",
  md: "text/markdown; charset=utf-8",
  pdf: "application/pdf",
  srt: "application/x-subrip; charset=utf-8",
  vtt: "text/vtt; charset=utf-8",
} as const;

export const jobResultRoute = newApp().openapi(route, async (c) => {
  const { id } = c.req.valid("param");
  const { format } = c.req.valid("query");
  const job = await ownedJob(c.env, c.get("user").id, id);
  const formats: readonly string[] = OUTPUT_FORMATS[job.kind];
  if (!formats.includes(format)) {
    throw new ApiError("format_not_available", `${job.kind} jobs offer: ${formats.join(", ")}`);
  }
  if (job.status !== "succeeded") {
    const why = job.status === "failed" ? `the job failed (${job.error?.code})` : `the job is ${job.status}`;
    throw new ApiError("result_not_ready", why);
  }
  const name = resultFileName(job.file.name, format);
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  const headers = {
    "content-type": TYPES[format],
    // RFC 6266: an ASCII fallback, and the real name UTF-8 encoded for clients that read filename*.
    "content-disposition": `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`,
  };
  // A succeeded job's results are those of its last attempt, the one that succeeded.
  const object = await c.env.FILES.get(resultKey(id, job.attempts, format === "pdf" ? "pdf" : "json"));
  if (!object) throw new ApiError("internal_error", "the stored result is missing");
  if (format === "pdf" || format === "json") return c.body(object.body, 200, headers);
  const raw = await object.json();
  if (job.kind === "ocr") {
    const ocr = OcrResult.parse(raw);
    return c.body(format === "md" ? ocrMarkdown(ocr) : ocrText(ocr), 200, headers);
  }
  const av = AvResult.parse(raw);
  const text = format === "srt" ? toSrt(av) : format === "vtt" ? toVtt(av) : transcriptText(av);
  return c.body(text, 200, headers);
});
