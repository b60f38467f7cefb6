import { createRoute, z } from "@hono/zod-openapi";
import { newApp } from "../../app";
import { ApiError } from "../../errors";
import { requireScope } from "../../middleware/auth";
import { sourceKey } from "../../services/job-service";
import { ownedJob } from "../../services/ownership";
import { JobIdParam, problem } from "./schemas";

const route = createRoute({
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/jobs/{id}/source",
  summary: "The uploaded file itself, as it was received (honours a single byte Range)",
  description: "What the web UI shows beside a result: the page images under their text, the recording to play.",
  request: {
    params: JobIdParam,
    headers: z.object({ range: z.string().max(100).optional() }),
  },
  responses: {
    200: { description: "the whole file" },
    206: { description: "the asked byte range" },
    404: problem("no such job for this caller"),
    416: { description: "the range lies outside the file" },
  },
});

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` → an R2 range; anything else is ignored (the whole file). */
function parseRange(header: string | undefined): R2Range | undefined {
  const m = header && /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  if (m[1] === "") return { suffix: Number(m[2]) };
  const offset = Number(m[1]);
  return m[2] === "" ? { offset } : { offset, length: Number(m[2]) - offset + 1 };
}

export const jobSourceRoute = newApp().openapi(route, async (c) => {
  const job = await ownedJob(c.env, c.get("user").id, c.req.valid("param").id);
  const range = parseRange(c.req.valid("header").range);
  const size = job.file.size;
  const unsatisfiable =
    range && ("suffix" in range ? range.suffix === 0 : (range.offset ?? 0) >= size || (range.length ?? 1) < 1);
  if (unsatisfiable) {
    return c.body(null, 416, { "content-range": `bytes */${size}` });
  }
  const object = await c.env.FILES.get(sourceKey(job.id), range ? { range } : {});
  if (!object) throw new ApiError("not_found", `the upload of ${job.id} is no longer stored`);
  const headers: Record<string, string> = {
    "content-type": job.file.mime,
    "accept-ranges": "bytes",
    "cache-control": "private, max-age=3600",
    etag: `"${job.file.sha256}"`,
  };
  if (!range) return c.body(object.body, 200, { ...headers, "content-length": String(size) });
  const start = "suffix" in range ? Math.max(0, size - range.suffix) : (range.offset ?? 0);
  const end = "suffix" in range ? size - 1 : Math.min(size - 1, start + (range.length ?? size) - 1);
  return c.body(object.body, 206, {
    ...headers,
    "content-range": `bytes ${start}-${end}/${size}`,
    "content-length": String(end - start + 1),
  });
});
