import { createRoute, z } from "@hono/zod-openapi";
import { CreateUpload, fingerprintOptions, JobOptions, JobResource, Upload } from "../../contracts";
import { newApp } from "../app";
import { sha256Hex } from "../lib/crypto";
import { requireScope } from "../middleware/auth";
import { type Answer, withIdempotency } from "../services/idempotency";
import { toResource } from "../services/job-resource";
import { assertCanSubmit } from "../services/quotas";
import { completeUpload, createUpload, getUpload, newUploadId, putPart } from "../services/uploads";
import { authErrors, IdempotencyKeyHeader, jsonBodyErrors, problem, tooManyRequests } from "./shared";

const UploadIdParam = z.object({
  id: z
    .string()
    .regex(/^upl_[0-9A-HJKMNP-TV-Z]{26}$/, "an upload id such as upl_01JD…")
    .openapi({ param: { name: "id", in: "path" } }),
});

const badUploadId = problem("an id that is not an upload id (`validation_failed`)");

const create = createRoute({
  tags: ["Uploads"],
  middleware: [requireScope("jobs:write")] as const,
  method: "post",
  path: "/v1/uploads",
  operationId: "createUpload",
  summary:
    "Start a multipart upload, for files larger than one request should carry (up to MAX_MULTIPART_UPLOAD_BYTES)",
  description:
    "Then PUT each part to /v1/uploads/{id}/parts/{n} (any order; again if it failed) and POST /v1/uploads/{id}/complete. " +
    "`Idempotency-Key` makes a retried creation return the same upload.",
  request: {
    headers: IdempotencyKeyHeader,
    body: { required: true, content: { "application/json": { schema: CreateUpload } } },
  },
  responses: {
    201: { description: "the upload: part size and count", content: { "application/json": { schema: Upload } } },
    ...authErrors("jobs:write"),
    ...jsonBodyErrors,
    409: problem("a request with this Idempotency-Key is still running (`idempotency_in_progress`)"),
    413: problem("larger than multipart uploads may be (`payload_too_large`)"),
    422: problem(
      "a bad body or Idempotency-Key, or options that cannot apply to what the file name says it is (`validation_failed`), a language this deployment cannot work in (`language_unavailable`), speech options no speech engine of it can honour (`engine_unavailable`), or an Idempotency-Key sent before with another request (`idempotency_key_reused`)",
    ),
    429: tooManyRequests(
      "too many requests (`rate_limited`), or a quota is used up: open uploads or running and daily jobs (`quota_exceeded`); see Retry-After",
    ),
  },
});

const status = createRoute({
  tags: ["Uploads"],
  middleware: [requireScope("jobs:write")] as const,
  method: "get",
  path: "/v1/uploads/{id}",
  operationId: "getUpload",
  summary: "The upload: which parts arrived (to resume), and its job once completed",
  request: { params: UploadIdParam },
  responses: {
    200: { description: "the upload", content: { "application/json": { schema: Upload } } },
    ...authErrors("jobs:write"),
    404: problem("no such upload for this caller"),
    422: badUploadId,
  },
});

const part = createRoute({
  tags: ["Uploads"],
  middleware: [requireScope("jobs:write")] as const,
  method: "put",
  path: "/v1/uploads/{id}/parts/{n}",
  operationId: "uploadPart",
  summary: "One part: exactly `part_size` bytes (the last part: the rest), as the raw body",
  request: {
    params: UploadIdParam.extend({
      n: z.coerce
        .number()
        .int()
        .positive()
        .openapi({ param: { name: "n", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "the upload, with this part received", content: { "application/json": { schema: Upload } } },
    ...authErrors("jobs:write"),
    404: problem("no such upload for this caller"),
    409: problem("the upload is completed (`invalid_transition`)"),
    422: problem(
      "an id that is not an upload id, or a part number or length that does not fit the upload (`validation_failed`)",
    ),
  },
});

const complete = createRoute({
  tags: ["Uploads"],
  middleware: [requireScope("jobs:write")] as const,
  method: "post",
  path: "/v1/uploads/{id}/complete",
  operationId: "completeUpload",
  summary: "Assemble the parts, check the content as POST /v1/jobs does, and create the job",
  request: { params: UploadIdParam },
  responses: {
    200: {
      description: "the job, from an earlier completion",
      content: { "application/json": { schema: JobResource } },
    },
    202: { description: "the job, queued", content: { "application/json": { schema: JobResource } } },
    ...authErrors("jobs:write"),
    404: problem("no such upload for this caller (a refused upload is discarded)"),
    415: problem(
      "unsupported content (`unsupported_media_type`), or content that contradicts the file name (`media_type_mismatch`); the upload is discarded",
    ),
    422: problem(
      "an id that is not an upload id, parts missing, or options that do not fit the content (`validation_failed`), a language this deployment cannot work in (`language_unavailable`), or speech options no speech engine of it can honour (`engine_unavailable`); refused options discard the upload",
    ),
    429: tooManyRequests(
      "too many requests (`rate_limited`), or over a quota (`quota_exceeded`): complete again later (see Retry-After), the parts are kept",
    ),
  },
});

export const uploadRoutes = newApp()
  .openapi(create, async (c) => {
    const user = c.get("user");
    const request = c.req.valid("json");
    const key = c.req.valid("header")["idempotency-key"];
    const fingerprint = () => {
      const { options, ...rest } = request;
      const asSent = options ? { ...rest, options: fingerprintOptions(options) } : rest;
      return sha256Hex(JSON.stringify(["upload", asSent]));
    };
    const answer = await withIdempotency(
      c.env.DB,
      { userId: user.id, key, id: newUploadId(), fingerprint },
      async (id, resumed): Promise<Answer<Upload>> => {
        const earlier = resumed ? await getUpload(c.env.DB, user.id, id).catch(() => null) : null;
        if (earlier) return { status: 201, body: earlier };
        await assertCanSubmit(c.env.DB, user.id, c.get("config").USER_LIMITS);
        const upload = await createUpload(c.env, c.get("config"), {
          id,
          userId: user.id,
          fileName: request.file_name,
          size: request.size,
          options: request.options ?? JobOptions.parse({}),
          requestId: c.get("requestId"),
        });
        return { status: 201, body: upload };
      },
    );
    // A replay answers with the upload as it is now (parts received, its job once completed).
    const upload = answer.replayed
      ? await getUpload(c.env.DB, user.id, answer.body.id).catch(() => Upload.parse(answer.body))
      : answer.body;
    return c.json(upload, 201, {
      location: `/v1/uploads/${upload.id}`,
      ...(answer.replayed ? { "idempotent-replayed": "true" } : {}),
    });
  })
  .openapi(status, async (c) => c.json(await getUpload(c.env.DB, c.get("user").id, c.req.valid("param").id), 200))
  .openapi(part, async (c) => {
    const { id, n } = c.req.valid("param");
    const length = Number(c.req.header("content-length") ?? "-1");
    return c.json(await putPart(c.env, c.get("user").id, id, n, c.req.raw.body, length), 200);
  })
  .openapi(complete, async (c) => {
    const { job, created } = await completeUpload(c.env, c.get("config"), c.get("user").id, c.req.valid("param").id);
    return c.json(toResource(job), created ? 202 : 200, { location: `/v1/jobs/${job.id}` });
  });
