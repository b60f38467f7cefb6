import { createRoute, z } from "@hono/zod-openapi";
import { and, desc, eq, isNull, lt } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { DeadLetter, DeadLetterList, ErrorCode, ReplayOutcome, ReplayRequest } from "../../../contracts";
import { newApp } from "../../app";
import { deadLetters } from "../../db/schema";
import { requireAdmin } from "../../middleware/auth";
import { coordinatorFor } from "../../services/coordinator";
import { problem } from "../shared";

/** Most jobs one replay call sends back to work; call again for the rest. */
const REPLAY_BATCH = 500;

const listRoute = createRoute({
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/dead-letters",
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
    403: problem("not an admin"),
  },
});

const replayRoute = createRoute({
  middleware: [requireAdmin()] as const,
  method: "post",
  path: "/v1/admin/dead-letters/replay",
  summary: "Send dead-lettered jobs back to work: one record, one job, or every pending record of a code (admin)",
  description:
    "Only failed jobs whose failure another try could fix are replayed (each gets a fresh budget); " +
    "others are listed under `skipped`. Replaying twice is harmless: a job already back at work is skipped.",
  request: { body: { content: { "application/json": { schema: ReplayRequest } }, required: true } },
  responses: {
    200: { description: "what was replayed and skipped", content: { "application/json": { schema: ReplayOutcome } } },
    403: problem("not an admin"),
  },
});

export const deadLetterRoutes = newApp()
  .openapi(listRoute, async (c) => {
    const { limit, cursor, error_code, job_id, pending } = c.req.valid("query");
    const rows = await drizzle(c.env.DB)
      .select()
      .from(deadLetters)
      .where(
        and(
          cursor ? lt(deadLetters.id, cursor) : undefined,
          error_code ? eq(deadLetters.error_code, error_code) : undefined,
          job_id ? eq(deadLetters.job_id, job_id) : undefined,
          pending === "true" ? isNull(deadLetters.replayed_at) : undefined,
        ),
      )
      .orderBy(desc(deadLetters.id))
      .limit(limit + 1)
      .all();
    const page = rows.slice(0, limit).map(({ body: _body, ...row }) => DeadLetter.parse(row));
    return c.json({ data: page, next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null }, 200);
  })
  .openapi(replayRoute, async (c) => {
    const request = c.req.valid("json");
    const db = drizzle(c.env.DB);
    const filter =
      "id" in request
        ? eq(deadLetters.id, request.id)
        : "job_id" in request
          ? eq(deadLetters.job_id, request.job_id)
          : and(eq(deadLetters.error_code, request.error_code), isNull(deadLetters.replayed_at));
    const records = await db.select({ job_id: deadLetters.job_id }).from(deadLetters).where(filter).limit(REPLAY_BATCH);
    const outcome: ReplayOutcome = { replayed: [], skipped: [] };
    // A job id may also name a job that failed in the consumer without leaving a dead letter.
    const jobIds = new Set([...records.map((r) => r.job_id), ...("job_id" in request ? [request.job_id] : [])]);
    for (const jobId of jobIds) {
      const result = await coordinatorFor(c.env, jobId).replay();
      if (!result.ok) {
        const why = result.job
          ? `job is ${result.job.status}${result.job.error ? ` (${result.job.error.code})` : ""}`
          : "no such job";
        outcome.skipped.push({ job_id: jobId, reason: why });
        continue;
      }
      const now = new Date().toISOString();
      await c.env.DB.prepare(
        "UPDATE dead_letters SET replayed_at = ?, replay_count = replay_count + 1 WHERE job_id = ? AND replayed_at IS NULL",
      )
        .bind(now, jobId)
        .run();
      outcome.replayed.push(jobId);
    }
    return c.json(outcome, 200);
  });
