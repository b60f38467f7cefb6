import { createRoute } from "@hono/zod-openapi";
import { Usage } from "../../contracts";
import { newApp } from "../app";
import { requireScope } from "../middleware/auth";
import { currentUsage } from "../services/quotas";

const route = createRoute({
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/usage",
  summary: "The caller's limits and quotas, and what it has used of them (running jobs, last 24 hours)",
  responses: { 200: { description: "limits and usage", content: { "application/json": { schema: Usage } } } },
});

export const usageRoute = newApp().openapi(route, async (c) => {
  const { oldest_at: _, ...usage } = await currentUsage(c.env.DB, c.get("user").id, c.get("config").USER_LIMITS);
  return c.json(usage, 200);
});
