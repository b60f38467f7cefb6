import { createRoute, z } from "@hono/zod-openapi";
import { DeadLetterList, ErrorCode, ReplayOutcome, ReplayRequest } from "../../../contracts";
import { newApp } from "../../app";
import { requireAdmin } from "../../middleware/auth";
import { listDeadLetters, replayDeadLetters } from "../../services/dead-letters";
import { authErrors, jsonBodyErrors, problem } from "../shared";

const listRoute = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/dead-letters",
  operationId: "listDeadLetters",
  summary: "Dead-lettered work, newest first (admin)",
  request: {
    query: z.object({
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().optional(),
      error_code: ErrorCode.optional(),
      job_id: z.string().optional(),
      pending: z.enum(["true", "false"]).optional().describe("true: only records not replayed yet"),
    }),
  },
  responses: {
    200: { description: "one page", content: { "application/json": { schema: DeadLetterList } } },
    ...authErrors("admin"),
    422: problem("a bad query parameter (`validation_failed`)"),
  },
});

const replayRoute = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "post",
  path: "/v1/admin/dead-letters/replay",
  operationId: "replayDeadLetters",
  summary: "Send dead-lettered jobs back to work: one record, one job, or every pending record of a code (admin)",
  description:
    "Only failed jobs whose failure another try could fix are replayed (each gets a fresh budget); " +
    "others are listed under `skipped`. Replaying twice is harmless: a job already back at work is skipped.",
  request: { body: { content: { "application/json": { schema: ReplayRequest } }, required: true } },
  responses: {
    200: { description: "what was replayed and skipped", content: { "application/json": { schema: ReplayOutcome } } },
    ...authErrors("admin"),
    ...jsonBodyErrors,
    422: problem("a body that is not exactly one of `id`, `job_id` or `error_code` (`validation_failed`)"),
  },
});

export const deadLetterRoutes = newApp()
  .openapi(listRoute, async (c) => {
    const { pending, ...query } = c.req.valid("query");
    return c.json(await listDeadLetters(c.env.DB, { ...query, pending: pending === "true" }), 200);
  })
  .openapi(replayRoute, async (c) => c.json(await replayDeadLetters(c.env, c.req.valid("json")), 200));
