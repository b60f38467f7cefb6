import { createRoute, z } from "@hono/zod-openapi";
import { JobOptions, JobResource } from "../../../contracts";
import { newApp } from "../../app";
import { ApiError } from "../../errors";
import { toResource } from "../../services/job-resource";
import { createJob } from "../../services/job-service";
import { problem } from "./schemas";

const route = createRoute({
  method: "post",
  path: "/v1/jobs",
  summary: "Submit a file; the kind of work (OCR or A/V) is decided from its content",
  request: {
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: z.object({
            file: z.any().optional().openapi({ type: "string", format: "binary" }),
            options: z.string().optional().openapi({ description: 'JSON, e.g. {"language":"eng"}' }),
          }),
        },
      },
    },
  },
  responses: {
    202: { description: "accepted and queued", content: { "application/json": { schema: JobResource } } },
    400: problem("no file, or an empty one"),
    401: problem("missing or bad API key"),
    413: problem("file too large"),
    415: problem("unsupported content"),
    422: problem("bad options"),
  },
});

export const createJobRoute = newApp().openapi(route, async (c) => {
  const max = c.get("config").MAX_UPLOAD_BYTES;
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > max) throw new ApiError("payload_too_large", `uploads are limited to ${max} bytes`);
  const form = c.req.valid("form");
  const file = form.file;
  if (!(file instanceof File)) throw new ApiError("file_missing");
  if (file.size > max) throw new ApiError("payload_too_large", `uploads are limited to ${max} bytes`);
  let rawOptions: unknown = {};
  if (typeof form.options === "string" && form.options.trim() !== "") {
    try {
      rawOptions = JSON.parse(form.options);
    } catch {
      throw new ApiError("validation_failed", "options: not valid JSON");
    }
  }
  const options = JobOptions.safeParse(rawOptions);
  if (!options.success) {
    throw new ApiError(
      "validation_failed",
      options.error.issues.map((i) => `options.${i.path.join(".") || ""}: ${i.message}`).join("; "),
    );
  }
  const job = await createJob(c.env, {
    userId: c.get("user").id,
    file,
    options: options.data,
    requestId: c.get("requestId"),
  });
  return c.json(toResource(job), 202, { location: `/v1/jobs/${job.id}` });
});
