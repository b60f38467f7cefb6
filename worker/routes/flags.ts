import { createRoute, z } from "@hono/zod-openapi";
import { Flag, FlagName, FlagSetting } from "../../contracts";
import { newApp } from "../app";
import { requireAdmin, requireScope } from "../middleware/auth";
import { setFlag } from "../services/flags";
import { authErrors, jsonBodyErrors, problem } from "./shared";

const mine = createRoute({
  tags: ["Flags"],
  middleware: [requireScope("jobs:read")] as const,
  method: "get",
  path: "/v1/flags",
  operationId: "getCallerFlags",
  summary: "Feature flags as they apply to the caller (for clients such as the web UI)",
  responses: {
    200: {
      description: "flag name → on/off for this caller",
      content: { "application/json": { schema: z.record(z.string(), z.boolean()) } },
    },
    ...authErrors("jobs:read"),
  },
});

const list = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "get",
  path: "/v1/admin/flags",
  operationId: "listFlags",
  summary: "Every feature flag and its setting (admin)",
  responses: {
    200: { description: "the flags", content: { "application/json": { schema: z.object({ data: z.array(Flag) }) } } },
    ...authErrors("admin"),
  },
});

const set = createRoute({
  tags: ["Admin"],
  middleware: [requireAdmin()] as const,
  method: "put",
  path: "/v1/admin/flags/{name}",
  operationId: "setFlag",
  summary: "Change a flag: kill switch (`enabled`) and rollout percentage (admin); no deploy needed",
  request: {
    params: z.object({ name: FlagName }),
    body: { content: { "application/json": { schema: FlagSetting } }, required: true },
  },
  responses: {
    200: { description: "the flag as now set", content: { "application/json": { schema: Flag } } },
    ...authErrors("admin"),
    ...jsonBodyErrors,
    422: problem("unknown flag or bad setting (`validation_failed`)"),
  },
});

export const flagRoutes = newApp().openapi(mine, async (c) =>
  c.json(await c.get("flags").forUser(c.get("user").id), 200),
);

export const adminFlagRoutes = newApp()
  .openapi(list, async (c) => c.json({ data: await c.get("flags").list() }, 200))
  .openapi(set, async (c) => {
    const { name } = c.req.valid("param");
    await setFlag(c.env.DB, name, c.req.valid("json"));
    const flags = await c.get("flags").list();
    return c.json(flags.find((f) => f.name === name) as Flag, 200);
  });
