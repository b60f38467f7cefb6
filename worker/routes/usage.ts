import { createRoute } from "@hono/zod-openapi";
import { Usage } from "../../contracts";
import { newApp } from "../app";
import { requireScope } from "../middleware/auth";
import { measuredThroughput } from "../services/metrics";
import { currentUsage, heldOpen, limitsFor } from "../services/quotas";
import { authErrors } from "./shared";

const route = createRoute({
  tags: ["Usage"],
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/usage",
  operationId: "getUsage",
  summary:
    "The caller's limits and quotas (its own if an admin set them), what it has used of them (running jobs, last 24 hours), upload size limits and measured throughput",
  responses: {
    200: { description: "limits and usage", content: { "application/json": { schema: Usage } } },
    ...authErrors("jobs:read"),
  },
});

export const usageRoute = newApp().openapi(route, async (c) => {
  const config = c.get("config");
  const userId = c.get("user").id;
  const [limits, { oldest_at: _, ...usage }, held, throughput] = await Promise.all([
    limitsFor(c.env.DB, userId, config.USER_LIMITS),
    currentUsage(c.env.DB, userId),
    heldOpen(c.env.DB, userId),
    measuredThroughput(c.env.DB),
  ]);
  const uploads = {
    max_direct_bytes: config.MAX_UPLOAD_BYTES,
    max_multipart_bytes: config.MAX_MULTIPART_UPLOAD_BYTES,
    part_bytes: config.UPLOAD_PART_BYTES,
  };
  return c.json({ limits, ...usage, ...held, uploads, throughput }, 200);
});
