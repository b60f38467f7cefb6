import { createRoute, z } from "@hono/zod-openapi";
import { fingerprintOptions, JobOptions, JobResource, optionsMisfit } from "../../../contracts";
import { sourceKey } from "../../../contracts/storage";
import { newApp } from "../../app";
import { ApiError } from "../../errors";
import { sha256Hex } from "../../lib/crypto";
import { maxFormBytes, readForm } from "../../lib/multipart-form";
import { requireScope } from "../../middleware/auth";
import { coordinatorFor } from "../../services/coordinator";
import { withIdempotency } from "../../services/idempotency";
import { toResource } from "../../services/job-resource";
import { findIdenticalJob, newJobId, registerJob } from "../../services/job-service";
import { settleJobOptions } from "../../services/languages";
import { assertCanSubmit } from "../../services/quotas";
import { storeSource } from "../../services/source-upload";
import { authErrors, IdempotencyKeyHeader, problem, tooManyRequests } from "../shared";

const route = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:write")] as const,
  method: "post",
  path: "/v1/jobs",
  operationId: "createJob",
  summary: "Submit a file; the kind of work (OCR or A/V) is decided from its content",
  description:
    "Send `Idempotency-Key` to make retries safe: the same key with the same request returns the first answer " +
    "(header `Idempotent-Replayed: true`) for 24 hours. `?reuse=identical` returns the caller's finished job " +
    "for byte-identical content with the same options (200) instead of starting a new one.",
  request: {
    headers: IdempotencyKeyHeader,
    query: z.object({ reuse: z.enum(["identical"]).optional() }),
    // A plain schema, not zod: the route reads the body itself, as a stream (readForm), instead of
    // having it parsed whole into memory first.
    body: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["file"],
            properties: {
              file: { type: "string", format: "binary" },
              options: { type: "string", description: 'JSON, e.g. {"language":"eng"}' },
            },
          },
        },
      },
    },
  },
  responses: {
    200: {
      description: "an earlier job for identical content (with ?reuse=identical)",
      content: { "application/json": { schema: JobResource } },
    },
    202: { description: "accepted and queued", content: { "application/json": { schema: JobResource } } },
    ...authErrors("jobs:write"),
    400: problem("no file (`file_missing`), or an empty one (`file_empty`)"),
    409: problem("a request with this Idempotency-Key is still running (`idempotency_in_progress`)"),
    413: problem("file too large (`payload_too_large`)"),
    415: problem(
      "unsupported content (`unsupported_media_type`), or content that contradicts the file name (`media_type_mismatch`)",
    ),
    422: problem(
      "a body that is not a multipart form, bad options (`validation_failed`), a language this deployment cannot work in (`language_unavailable`), speech options no speech engine of it can honour (`engine_unavailable`), or an Idempotency-Key sent before with another request (`idempotency_key_reused`)",
    ),
    429: tooManyRequests(
      "too many requests (`rate_limited`), or a quota is used up (`quota_exceeded`); see Retry-After",
    ),
  },
});

export const createJobRoute = newApp().openapi(route, async (c) => {
  const config = c.get("config");
  const max = config.MAX_UPLOAD_BYTES;
  // The form around the file counts too: a file of exactly `max` bytes is accepted.
  const declared = Number(c.req.header("content-length") ?? "0");
  if (declared > maxFormBytes(max)) throw new ApiError("payload_too_large", `uploads are limited to ${max} bytes`);
  const userId = c.get("user").id;
  // The file is stored as it arrives, under a job id of its own; what it becomes is decided after.
  const stagedId = newJobId();
  let kept = false;
  const idempotencyKey = c.req.valid("header")["idempotency-key"];
  const reuseAsked = c.req.valid("query").reuse === "identical";
  // A request that can only make new work is refused before its body is read, when over quota
  // (a replay or a reused job costs nothing, so those are judged once the content is known).
  if (!idempotencyKey && !reuseAsked) await assertCanSubmit(c.env.DB, userId, config.USER_LIMITS);
  try {
    const { fields, file } = await readForm(c.req.raw, "file", max, (upload) =>
      storeSource(c.env.FILES, sourceKey(stagedId), upload, {
        maxBytes: max,
        partBytes: config.UPLOAD_PART_BYTES,
        userId,
      }),
    );
    if (!file) throw new ApiError("file_missing");
    const asked = parseOptions(fields.options);
    const misfit = optionsMisfit(file.kind, asked);
    if (misfit) throw new ApiError("validation_failed", misfit);
    const options = await settleJobOptions(c.env, config, userId, file.kind, asked);
    const reuse = reuseAsked && (await c.get("flags").isEnabled("reuse_identical", userId));
    const answer = await withIdempotency(
      c.env.DB,
      {
        userId,
        key: idempotencyKey,
        id: stagedId,
        // What the caller asked for (not what a flag made of it), so a retry matches across flag changes.
        fingerprint: () => sha256Hex(JSON.stringify([file.sha256, file.name, fingerprintOptions(asked), reuseAsked])),
      },
      async (jobId, resumed) => {
        // Taking over a claim whose request died: its job may exist already; never make a second one.
        const existing = resumed ? await coordinatorFor(c.env, jobId).get() : null;
        const earlier = existing ?? (reuse ? await findIdenticalJob(c.env, userId, file.sha256, options) : null);
        // Only new work counts against the quotas: a replayed or reused job costs nothing.
        if (!earlier) await assertCanSubmit(c.env.DB, userId, config.USER_LIMITS);
        if (!earlier && jobId !== stagedId) await moveSource(c.env.FILES, stagedId, jobId);
        const job =
          earlier ??
          (await registerJob(c.env, config, { id: jobId, userId, ...file, options, requestId: c.get("requestId") }));
        kept = !earlier && jobId === stagedId;
        return { status: earlier && !existing ? 200 : 202, body: toResource(job) };
      },
      async (jobId) => {
        // A job came of it (registering failed half-way): its source stays, and the key's lease runs
        // out so that a retry with the key finishes it.
        if (!(await coordinatorFor(c.env, jobId).get())) return false;
        kept ||= jobId === stagedId;
        return true;
      },
    );
    return c.json(answer.body, answer.status as 200 | 202, {
      location: answer.body.links.self,
      ...(answer.replayed ? { "idempotent-replayed": "true" } : {}),
    });
  } finally {
    // The staged file serves no job (a refusal, a replay, a reused job): nothing is left behind.
    if (!kept) {
      await c.env.FILES.delete(sourceKey(stagedId)).catch((err: unknown) =>
        c.get("log").warn("staged upload not removed", { key: sourceKey(stagedId), error: String(err) }),
      );
    }
  }
});

function parseOptions(raw: string | undefined): JobOptions {
  let value: unknown = {};
  if (raw !== undefined && raw.trim() !== "") {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ApiError("validation_failed", "options: not valid JSON");
    }
  }
  const options = JobOptions.safeParse(value);
  if (!options.success) {
    throw new ApiError(
      "validation_failed",
      options.error.issues.map((i) => `options.${i.path.join(".") || ""}: ${i.message}`).join("; "),
    );
  }
  return options.data;
}

/** Puts a staged file where job `jobId` reads its source (a claim taken over from a request that died). */
async function moveSource(files: R2Bucket, from: string, jobId: string): Promise<void> {
  const staged = await files.get(sourceKey(from));
  if (!staged) throw new Error(`staged upload ${from} is gone`);
  await files.put(sourceKey(jobId), staged.body, {
    httpMetadata: staged.httpMetadata,
    customMetadata: staged.customMetadata,
  });
}
