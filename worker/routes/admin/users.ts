import { createRoute, z } from "@hono/zod-openapi";
import { AdminUser, LimitOverrides, UserLimitsSetting } from "../../../contracts";
import { newApp } from "../../app";
import { requireAdmin } from "../../middleware/auth";
import { limitSetting, setLimitOverrides } from "../../services/quotas";
import { assertUserExists, usersWithEmail } from "../../services/users";
import { authErrors, jsonBodyErrors, problem } from "../shared";

const params = z.object({ user_id: z.string().max(64) });

const findRoute = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/users",
  operationId: "findUsersByEmail",
  summary: "Find a user by email, for the id the other admin routes take (admin)",
  request: { query: z.object({ email: z.string().trim().toLowerCase().min(1).max(320) }) },
  responses: {
    200: {
      description: "the user with that email, or none",
      content: { "application/json": { schema: z.object({ data: z.array(AdminUser) }) } },
    },
    ...authErrors("admin"),
    422: problem("no email, or one longer than 320 characters (`validation_failed`)"),
  },
});

const getRoute = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/users/{user_id}/limits",
  operationId: "getUserLimits",
  summary: "A user's own limits, set by an admin, and the limits that apply to the user with them (admin)",
  request: { params },
  responses: {
    200: { description: "the setting", content: { "application/json": { schema: UserLimitsSetting } } },
    ...authErrors("admin"),
    404: problem("no such user"),
    422: problem("a user id longer than 64 characters (`validation_failed`)"),
  },
});

const putRoute = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "put",
  path: "/v1/admin/users/{user_id}/limits",
  operationId: "setUserLimits",
  summary:
    "Set a user's own limits (admin): any of USER_LIMITS' fields, replacing what was set before; `{}` gives the user the limits everyone has. Effective at once: for new submissions, and for the user's jobs whose size is not known yet",
  request: {
    params,
    body: { content: { "application/json": { schema: LimitOverrides } }, required: true },
  },
  responses: {
    200: { description: "the setting as now stored", content: { "application/json": { schema: UserLimitsSetting } } },
    ...authErrors("admin"),
    ...jsonBodyErrors,
    404: problem("no such user"),
    422: problem(
      "an unknown limit, a value that is not a positive number, or a user id longer than 64 characters (`validation_failed`)",
    ),
  },
});

export const adminUserRoutes = newApp()
  .openapi(findRoute, async (c) => {
    const { email } = c.req.valid("query");
    return c.json({ data: await usersWithEmail(c.env.DB, email) }, 200);
  })
  .openapi(getRoute, async (c) => {
    const { user_id } = c.req.valid("param");
    await assertUserExists(c.env.DB, user_id);
    return c.json(await limitSetting(c.env.DB, user_id, c.get("config").USER_LIMITS), 200);
  })
  .openapi(putRoute, async (c) => {
    const { user_id } = c.req.valid("param");
    await assertUserExists(c.env.DB, user_id);
    await setLimitOverrides(c.env.DB, user_id, c.req.valid("json"));
    return c.json(await limitSetting(c.env.DB, user_id, c.get("config").USER_LIMITS), 200);
  });
