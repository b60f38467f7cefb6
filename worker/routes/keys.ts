import { createRoute, z } from "@hono/zod-openapi";
import { ApiKeyInfo, ApiKeyList, CreateApiKeyRequest, CreatedApiKey } from "../../contracts";
import { newApp } from "../app";
import { ApiError } from "../errors";
import { requireScope } from "../middleware/auth";
import { createApiKey, listApiKeys, revokeApiKey } from "../services/api-keys";
import { assertCanCreateKey } from "../services/quotas";
import { authErrors, jsonBodyErrors, problem, tooManyRequests } from "./shared";

const KeyIdParam = z.object({
  id: z
    .string()
    .regex(/^key_[0-9A-HJKMNP-TV-Z]{26}$/, "a key id such as key_01JD…")
    .openapi({ param: { name: "id", in: "path" } }),
});

const create = createRoute({
  tags: ["API keys"],
  middleware: [requireScope("keys:manage")] as const,
  method: "post",
  path: "/v1/keys",
  operationId: "createApiKey",
  summary: "Create an API key for the caller; the key is in this answer only",
  request: { body: { required: true, content: { "application/json": { schema: CreateApiKeyRequest } } } },
  responses: {
    201: {
      description: "the new key, with `key` shown this once",
      content: { "application/json": { schema: CreatedApiKey } },
    },
    ...authErrors("keys:manage"),
    ...jsonBodyErrors,
    403: problem("the calling key lacks the keys:manage scope (`forbidden`), or a scope asked for (`scope_not_held`)"),
    422: problem("bad name or scopes (`validation_failed`)"),
    429: tooManyRequests(
      "too many requests (`rate_limited`, see Retry-After), or the caller has its cap of live keys (`quota_exceeded`)",
    ),
  },
});

const list = createRoute({
  tags: ["API keys"],
  middleware: [requireScope("keys:manage")] as const,
  method: "get",
  path: "/v1/keys",
  operationId: "listApiKeys",
  summary: "The caller's API keys, newest first (never the keys themselves)",
  responses: {
    200: { description: "the keys", content: { "application/json": { schema: ApiKeyList } } },
    ...authErrors("keys:manage"),
  },
});

const revoke = createRoute({
  tags: ["API keys"],
  middleware: [requireScope("keys:manage")] as const,
  method: "delete",
  path: "/v1/keys/{id}",
  operationId: "revokeApiKey",
  summary: "Revoke one of the caller's API keys: it stops working at once; revoking again is harmless",
  request: { params: KeyIdParam },
  responses: {
    200: { description: "the revoked key", content: { "application/json": { schema: ApiKeyInfo } } },
    ...authErrors("keys:manage"),
    404: problem("no such key for this caller"),
    422: problem("an id that is not a key id (`validation_failed`)"),
  },
});

export const keyRoutes = newApp()
  .openapi(create, async (c) => {
    const caller = c.get("user");
    const { name, scopes = caller.scopes } = c.req.valid("json");
    // No way up: a key grants at most what the key creating it holds.
    const unheld = scopes.filter((scope) => !caller.scopes.includes(scope));
    if (unheld.length > 0) {
      throw new ApiError(
        "scope_not_held",
        `the calling key lacks ${unheld.join(", ")}: it can grant ${caller.scopes.join(", ")}`,
      );
    }
    await assertCanCreateKey(c.env.DB, caller.id, c.get("config").USER_LIMITS);
    const created = await createApiKey(c.env.DB, caller.id, { name, scopes });
    c.get("log").info("API key created", { key_id: created.id, scopes: created.scopes });
    return c.json(created, 201, { "cache-control": "no-store" });
  })
  .openapi(list, async (c) => c.json({ data: await listApiKeys(c.env.DB, c.get("user").id) }, 200))
  .openapi(revoke, async (c) => {
    const revoked = await revokeApiKey(c.env.DB, c.get("user").id, c.req.valid("param").id);
    c.get("log").info("API key revoked", { key_id: revoked.id });
    return c.json(revoked, 200);
  });
