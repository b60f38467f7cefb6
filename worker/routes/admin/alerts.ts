import { createRoute } from "@hono/zod-openapi";
import { AlertReport } from "../../../contracts";
import { newApp } from "../../app";
import { requireAdmin } from "../../middleware/auth";
import { evaluateAlerts } from "../../services/alerts";
import { authErrors } from "../shared";

const route = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/alerts",
  operationId: "getAlerts",
  summary: "Every operational alert with its value, threshold, whether it fires, and its runbook (admin)",
  description:
    'Thresholds come from ALERT_THRESHOLDS. The scheduled upkeep evaluates the same alerts every five minutes and logs the firing ones (`"msg":"alert firing"`).',
  responses: {
    200: { description: "the alerts, evaluated now", content: { "application/json": { schema: AlertReport } } },
    ...authErrors("admin"),
  },
});

export const alertsRoute = newApp().openapi(route, async (c) =>
  c.json(await evaluateAlerts(c.env, c.get("config")), 200),
);
