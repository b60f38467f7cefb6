import { ApiError } from "../errors";

/** How long a key and its stored response are kept (the contract promises at least 24 h). */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/** How long the first request holds a key before a retry may take over (its request died). */
export const IDEMPOTENCY_LEASE_MS = 60 * 1000;
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export type Replay = { status: number; body: string };

/** Go ahead and create job `jobId` (which may already exist when taking over an abandoned claim). */
export type Proceed = { jobId: string; resumed: boolean };

type Row = {
  request_hash: string;
  state: string;
  response_status: number | null;
  response_body: string | null;
  job_id: string | null;
  locked_until: string | null;
};

/**
 * Claims `key` for this request, atomically. Returns `Proceed` for the first use (or an expired
 * key, or a claim whose request died: its lease ran out), the stored response when the same request
 * already completed, and throws when the key belongs to a different request or to one still running.
 */
async function claimIdempotencyKey(
  db: D1Database,
  userId: string,
  key: string,
  requestHash: string,
  newJobId: string,
  now = new Date(),
): Promise<Proceed | Replay> {
  const at = now.toISOString();
  const lease = new Date(now.getTime() + IDEMPOTENCY_LEASE_MS).toISOString();
  await db
    .prepare("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND expires_at <= ?")
    .bind(userId, key, at)
    .run();
  const claimed = await db
    .prepare(
      `INSERT INTO idempotency_keys (user_id, key, request_hash, state, job_id, locked_until, created_at, expires_at)
       VALUES (?, ?, ?, 'pending', ?, ?, ?, ?) ON CONFLICT (user_id, key) DO NOTHING RETURNING key`,
    )
    .bind(userId, key, requestHash, newJobId, lease, at, new Date(now.getTime() + IDEMPOTENCY_TTL_MS).toISOString())
    .first();
  if (claimed) return { jobId: newJobId, resumed: false };
  const existing = await db
    .prepare(
      `SELECT request_hash, state, response_status, response_body, job_id, locked_until
       FROM idempotency_keys WHERE user_id = ? AND key = ?`,
    )
    .bind(userId, key)
    .first<Row>();
  if (!existing) return claimIdempotencyKey(db, userId, key, requestHash, newJobId, now); // expired meanwhile
  if (existing.request_hash !== requestHash) {
    throw new ApiError(
      "idempotency_key_reused",
      "this Idempotency-Key was sent before with a different file or options",
    );
  }
  if (existing.state === "done" && existing.response_status !== null && existing.response_body !== null) {
    return { status: existing.response_status, body: existing.response_body };
  }
  if (existing.locked_until && existing.locked_until <= at && existing.job_id) {
    // The first request died holding the key. Take its lease over (one taker wins) and finish its job.
    const taken = await db
      .prepare(
        `UPDATE idempotency_keys SET locked_until = ? WHERE user_id = ? AND key = ? AND state = 'pending'
         AND locked_until = ?`,
      )
      .bind(lease, userId, key, existing.locked_until)
      .run();
    if (taken.meta.changes === 1) return { jobId: existing.job_id, resumed: true };
  }
  throw new ApiError("idempotency_in_progress", "the first request with this Idempotency-Key has not finished", {
    "retry-after": "1",
  });
}

const isReplay = (outcome: Proceed | Replay): outcome is Replay => "status" in outcome;

/** Stores the response of the request that claimed `key`, for replay. */
async function completeIdempotencyKey(db: D1Database, userId: string, key: string, response: Replay) {
  await db
    .prepare(
      "UPDATE idempotency_keys SET state = 'done', response_status = ?, response_body = ? WHERE user_id = ? AND key = ?",
    )
    .bind(response.status, response.body, userId, key)
    .run();
}

/** Frees `key` after its request failed before creating its job, so a retry runs it again. */
async function releaseIdempotencyKey(db: D1Database, userId: string, key: string) {
  await db
    .prepare("DELETE FROM idempotency_keys WHERE user_id = ? AND key = ? AND state = 'pending'")
    .bind(userId, key)
    .run();
}

/** What a creating request answers: its status and body (stored for replays under its key). */
export type Answer<T> = { status: number; body: T };

/**
 * The Idempotency-Key protocol of the creating routes (`POST /v1/jobs`, `POST /v1/uploads`), once.
 * Without a key, `create` runs under the id the route made. With one, the key is claimed for this
 * request's `fingerprint`: the same request completed before gets its stored answer back
 * (`replayed`); one whose first run died half-way resumes under that run's id (`resumed`); another
 * request under the same key is refused. `create`'s answer is stored for replays. When `create`
 * fails, `keepsWork(id)` says whether something already came of it (then the claim is kept and
 * runs out, so a retry resumes it); otherwise the key is freed for a retry to run again.
 */
export async function withIdempotency<T>(
  db: D1Database,
  request: { userId: string; key: string | undefined; id: string; fingerprint: () => Promise<string> },
  create: (id: string, resumed: boolean) => Promise<Answer<T>>,
  keepsWork: (id: string) => Promise<boolean> = async () => false,
): Promise<Answer<T> & { replayed: boolean }> {
  const { userId, key } = request;
  const claim = key ? await claimIdempotencyKey(db, userId, key, await request.fingerprint(), request.id) : null;
  if (claim && isReplay(claim)) return { status: claim.status, body: JSON.parse(claim.body) as T, replayed: true };
  const id = claim?.jobId ?? request.id;
  try {
    const answer = await create(id, claim?.resumed ?? false);
    if (key)
      await completeIdempotencyKey(db, userId, key, { status: answer.status, body: JSON.stringify(answer.body) });
    return { ...answer, replayed: false };
  } catch (err) {
    if (!(await keepsWork(id)) && key) await releaseIdempotencyKey(db, userId, key);
    throw err;
  }
}

/** Removes expired keys; run from the scheduled handler. Lookups ignore expired keys regardless. */
export async function purgeExpiredIdempotencyKeys(db: D1Database, now = new Date()): Promise<number> {
  const result = await db.prepare("DELETE FROM idempotency_keys WHERE expires_at <= ?").bind(now.toISOString()).run();
  return result.meta.changes ?? 0;
}
