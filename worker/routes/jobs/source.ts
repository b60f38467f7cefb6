import { createRoute, z } from "@hono/zod-openapi";
import { sourceKey } from "../../../contracts/storage";
import { newApp } from "../../app";
import { ApiError } from "../../errors";
import { requireScope } from "../../middleware/auth";
import { ownedJob } from "../../services/ownership";
import { authErrors, problem } from "../shared";
import { JobIdParam } from "./schemas";

const route = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs/{id}/source",
  operationId: "getJobSource",
  summary: "The uploaded file itself, as it was received (honours a single byte Range)",
  description: "What the web UI shows beside a result: the page images under their text, the recording to play.",
  request: {
    params: JobIdParam,
    headers: z.object({ range: z.string().max(100).optional() }),
  },
  responses: {
    200: { description: "the whole file" },
    206: { description: "the asked byte range" },
    ...authErrors("jobs:read"),
    404: problem("no such job for this caller, or its file is no longer stored"),
    416: { description: "the range lies outside the file" },
    422: problem("an id that is not a job id, or a Range header longer than 100 characters (`validation_failed`)"),
  },
});

/**
 * The byte range a `Range` header asks for within a file of `size` bytes (RFC 9110): `bytes=a-b`,
 * `bytes=a-` or `bytes=-n`, clamped to the file; `"unsatisfiable"` when it lies outside it; no range
 * (the whole file) when the header is absent or not one valid range.
 */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | null {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === "" && m[2] === "")) return null;
  if (m[1] === "") {
    const suffix = Number(m[2]);
    return suffix === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const last = m[2] === "" ? Number.POSITIVE_INFINITY : Number(m[2]);
  if (last < start) return null;
  return start >= size ? "unsatisfiable" : { start, end: Math.min(last, size - 1) };
}

export const jobSourceRoute = newApp().openapi(route, async (c) => {
  const job = await ownedJob(c.env, c.get("user").id, c.req.valid("param").id);
  const size = job.file.size;
  const range = parseRange(c.req.valid("header").range, size);
  if (range === "unsatisfiable") return c.body(null, 416, { "content-range": `bytes */${size}` });
  const object = await c.env.FILES.get(
    sourceKey(job.id),
    range ? { range: { offset: range.start, length: range.end - range.start + 1 } } : {},
  );
  if (!object) throw new ApiError("not_found", `the upload of ${job.id} is no longer stored`);
  const headers: Record<string, string> = {
    "content-type": job.file.mime,
    "accept-ranges": "bytes",
    "cache-control": "private, max-age=3600",
    etag: `"${job.file.sha256}"`,
    // Uploaded bytes are never run as a page of this origin, whatever they hold.
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'",
  };
  if (!range) return c.body(object.body, 200, { ...headers, "content-length": String(size) });
  return c.body(object.body, 206, {
    ...headers,
    "content-range": `bytes ${range.start}-${range.end}/${size}`,
    "content-length": String(range.end - range.start + 1),
  });
});
