import { createRoute, z } from "@hono/zod-openapi";
import { JobResource } from "../../../contracts";
import { newApp } from "../../app";
import { jobsCreatedSince, stuckJobIds } from "../../db/jobs-table";
import { requireAdmin } from "../../middleware/auth";
import { coordinatorFor } from "../../services/coordinator";
import { toResource } from "../../services/job-resource";
import { authErrors, problem } from "../shared";

const stuckRoute = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/jobs/stuck",
  operationId: "listStuckJobs",
  summary: "Jobs not terminal with no status change or progress for `older_than_s` (admin), with their live state",
  request: {
    query: z.object({
      older_than_s: z.coerce.number().int().min(0).default(900),
      limit: z.coerce.number().int().min(1).max(100).default(50),
    }),
  },
  responses: {
    200: {
      description: "oldest first",
      content: {
        "application/json": {
          schema: z.object({
            data: z.array(JobResource.extend({ user_id: z.string(), alarm_at: z.string().nullable() })),
          }),
        },
      },
    },
    ...authErrors("admin"),
    422: problem("a bad query parameter (`validation_failed`)"),
  },
});

const Usage = z.object({
  user_id: z.string(),
  window_s: z.number().int(),
  jobs: z.record(z.string(), z.number().int()),
  pages: z.number().int(),
  audio_seconds: z.number(),
  engine_seconds: z.number(),
});

const usageRoute = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/users/{user_id}/usage",
  operationId: "getUserUsage",
  summary: "A user's jobs by status, pages, audio minutes and engine time over a window (admin)",
  request: {
    params: z.object({ user_id: z.string().max(64) }),
    query: z.object({
      window_s: z.coerce
        .number()
        .int()
        .min(60)
        .max(90 * 86_400)
        .default(86_400),
    }),
  },
  responses: {
    200: { description: "usage", content: { "application/json": { schema: Usage } } },
    ...authErrors("admin"),
    422: problem("a user id longer than 64 characters, or a bad window (`validation_failed`)"),
  },
});

export const operationsRoutes = newApp()
  .openapi(stuckRoute, async (c) => {
    const { older_than_s, limit } = c.req.valid("query");
    const before = new Date(Date.now() - older_than_s * 1000).toISOString();
    // D1 mirrors status changes only; the coordinator has the live state (progress, alarm).
    const data = [];
    for (const id of await stuckJobIds(c.env.DB, before, limit)) {
      const coordinator = coordinatorFor(c.env, id);
      const job = await coordinator.get();
      if (!job) continue;
      data.push({ ...toResource(job), user_id: job.user_id, alarm_at: await coordinator.watchdogAt() });
    }
    return c.json({ data }, 200);
  })
  .openapi(usageRoute, async (c) => {
    const { user_id } = c.req.valid("param");
    const { window_s } = c.req.valid("query");
    const since = new Date(Date.now() - window_s * 1000).toISOString();
    const usage = {
      user_id,
      window_s,
      jobs: {} as Record<string, number>,
      pages: 0,
      audio_seconds: 0,
      engine_seconds: 0,
    };
    for (const job of await jobsCreatedSince(c.env.DB, user_id, since)) {
      usage.jobs[job.status] = (usage.jobs[job.status] ?? 0) + 1;
      usage.pages += job.file.pages ?? 0;
      usage.audio_seconds += job.file.duration_s ?? 0;
      usage.engine_seconds += job.engine_seconds;
    }
    usage.audio_seconds = Math.round(usage.audio_seconds * 1000) / 1000;
    usage.engine_seconds = Math.round(usage.engine_seconds * 1000) / 1000;
    return c.json(usage, 200);
  });
