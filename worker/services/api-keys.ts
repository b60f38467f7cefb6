import { and, desc, eq, isNull, lt, or } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { ulid } from "ulid";
import { type ApiKeyInfo, SCOPES, type Scope } from "../../contracts";
import { apiKeys } from "../db/schema";
import { ApiError } from "../errors";
import { newApiKey } from "../lib/api-key";

/** last_used_at is written at most this often per key, so using a key costs no write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

const info = (row: typeof apiKeys.$inferSelect): ApiKeyInfo => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  scopes: row.scopes,
  created_at: row.created_at,
  last_used_at: row.last_used_at,
  revoked_at: row.revoked_at,
});

export async function createApiKey(
  db: D1Database,
  userId: string,
  request: { name: string; scopes: Scope[] },
): Promise<ApiKeyInfo & { key: string }> {
  const { key, hash, prefix } = await newApiKey();
  const row = {
    id: `key_${ulid()}`,
    user_id: userId,
    key_hash: hash,
    prefix,
    name: request.name,
    // Stored in the catalog's order, without repeats.
    scopes: SCOPES.filter((scope) => request.scopes.includes(scope)),
    created_at: new Date().toISOString(),
    last_used_at: null,
    revoked_at: null,
  };
  await drizzle(db).insert(apiKeys).values(row);
  return { ...info(row), key };
}

export async function listApiKeys(db: D1Database, userId: string): Promise<ApiKeyInfo[]> {
  const rows = await drizzle(db).select().from(apiKeys).where(eq(apiKeys.user_id, userId)).orderBy(desc(apiKeys.id));
  return rows.map(info);
}

/** Revokes the caller's key `id` (at once; again is harmless). Another user's key is a 404, as a missing one. */
export async function revokeApiKey(db: D1Database, userId: string, id: string): Promise<ApiKeyInfo> {
  const orm = drizzle(db);
  const mine = and(eq(apiKeys.id, id), eq(apiKeys.user_id, userId));
  await orm
    .update(apiKeys)
    .set({ revoked_at: new Date().toISOString() })
    .where(and(mine, isNull(apiKeys.revoked_at)));
  const row = await orm.select().from(apiKeys).where(mine).get();
  if (!row) throw new ApiError("not_found", `no API key ${id}`);
  return info(row);
}

/** Records that key `id` was used now, unless that was recorded less than a minute ago. */
export async function touchApiKey(db: D1Database, id: string): Promise<void> {
  const now = new Date();
  const stale = new Date(now.getTime() - LAST_USED_RESOLUTION_MS).toISOString();
  await drizzle(db)
    .update(apiKeys)
    .set({ last_used_at: now.toISOString() })
    .where(and(eq(apiKeys.id, id), or(isNull(apiKeys.last_used_at), lt(apiKeys.last_used_at, stale))));
}
