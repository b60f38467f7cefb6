import { ApiError } from "../errors";

/** How long a key and its stored response are kept (the contract promises at least 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type Replay = { status: number; body: string };

/**
 * Claims `key` for this request, atomically. Returns null when the caller should go ahead (first
 * use, or an expired key), the stored response when the same request already completed, and throws
 * when the key belongs to a different request or to one still running.
 */
export async function claimIdempotencyKey(
  db: D1Database,
  userId: string,
  key: string,
  requestHash: string,
  now = new Date(),
): Promise<Replay | null> {
  await db
    .prepare("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND expires_at <= ?")
    .bind(userId, key, now.toISOString())
    .run();
  const claimed = await db
    .prepare(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, state, created_at, expires_at)
       VALUES (?, ?, ?, 'pending', ?, ?) ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
    )
    .bind(userId, key, requestHash, now.toISOString(), new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString())
    .first();
  if (claimed) return null;
  const existing = await db
    .prepare(
      "SELECT request_hash, state, response_status, response_body FROM idempotency_keys WHERE user_id = ? AND key = ?",
    )
    .bind(userId, key)
    .first<{ request_hash: string; state: string; response_status: number | null; response_body: string | null }>();
  if (!existing) return claimIdempotencyKey(db, userId, key, requestHash, now); // expired and removed meanwhile
  if (existing.request_hash !== requestHash) {
    throw new ApiError(
      "idempotency_key_reused",
      "this Idempotency-Key was sent before with a different file or options",
    );
  }
  if (existing.state !== "done" || existing.response_status === null || existing.response_body === null) {
    throw new ApiError("idempotency_in_progress", "the first request with this Idempotency-Key has not finished", {
      "retry-after": "1",
    });
  }
  return { status: existing.response_status, body: existing.response_body };
}

/** Stores the response of the request that claimed `key`, for replay. */
export async function completeIdempotencyKey(db: D1Database, userId: string, key: string, response: Replay) {
  await db
    .prepare(
      "UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ? WHERE user_id = ? AND key = ?",
    )
    .bind(response.status, response.body, userId, key)
    .run();
}

/** Frees `key` after its request failed, so a retry runs it again. */
export async function releaseIdempotencyKey(db: D1Database, userId: string, key: string) {
  await db
    .prepare("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND state = 'pending'")
    .bind(userId, key)
    .run();
}

/** Removes expired keys; run from the scheduled handler. Lookups ignore expired keys regardless. */
export async function purgeExpiredIdempotencyKeys(db: D1Database, now = new Date()): Promise<number> {
  const result = await db.prepare("DELETE FROM idempotency_keys WHERE expires_at <= ?").bind(now.toISOString()).run();
  return result.meta.changes ?? 0;
}
