import { createLogger, LimitOverrides, type Usage, type UserLimits, type UserLimitsSetting } from "../../contracts";
import { activeCountStatement, usageSinceStatement } from "../db/jobs-table";
import { ApiError } from "../errors";

/** The window daily quotas count over (the jobs submitted in the last 24 hours). */
export const DAY_MS = 86_400_000;
/** Seconds a caller refused for too many running jobs is asked to wait: about one short job. */
const CONCURRENT_RETRY_AFTER_S = 30;

/** The limits a user has: each one the user's own if an admin set it, else USER_LIMITS' (`configured`). */
export async function limitsFor(db: D1Database, userId: string, configured: UserLimits): Promise<UserLimits> {
  return (await limitSetting(db, userId, configured)).limits;
}

/** A user's own overrides, when they were set, and the limits that apply with them. */
export async function limitSetting(db: D1Database, userId: string, configured: UserLimits): Promise<UserLimitsSetting> {
  const row = await db
    .prepare("SELECT overrides, updated_at FROM user_limits WHERE user_id = ?")
    .bind(userId)
    .first<{ overrides: string; updated_at: string }>();
  const overrides = row ? storedOverrides(userId, row.overrides) : {};
  return { user_id: userId, overrides, limits: { ...configured, ...overrides }, updated_at: row?.updated_at ?? null };
}

/**
 * A stored row, read one limit at a time: one this version does not know (renamed, or edited by hand)
 * or with a bad value is left out and logged, rather than failing every request of the user.
 */
function storedOverrides(userId: string, text: string): LimitOverrides {
  let stored: Record<string, unknown> = {};
  try {
    stored = JSON.parse(text);
  } catch {}
  const entries = Object.entries(stored);
  const kept = entries.filter(([name, value]) => LimitOverrides.safeParse({ [name]: value }).success);
  if (kept.length < entries.length || entries.length === 0) {
    const ignored = entries.filter((entry) => !kept.includes(entry)).map(([name]) => name);
    createLogger("api").warn("stored limits ignored", { user_id: userId, ignored: ignored.join(", ") || text });
  }
  return Object.fromEntries(kept) as LimitOverrides;
}

/** Replaces a user's overrides; none (`{}`) gives the user the limits everyone has again. */
export async function setLimitOverrides(db: D1Database, userId: string, overrides: LimitOverrides): Promise<void> {
  if (Object.keys(overrides).length === 0) {
    await db.prepare("DELETE FROM user_limits WHERE user_id = ?").bind(userId).run();
    return;
  }
  await db
    .prepare(
      `INSERT INTO user_limits (user_id, overrides, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET overrides = excluded.overrides, updated_at = excluded.updated_at`,
    )
    .bind(userId, JSON.stringify(overrides), new Date().toISOString())
    .run();
}

/**
 * The user's use of its limits: jobs queued or processing now, and jobs, pages and audio minutes
 * of the jobs submitted in the last 24 hours, deleted ones included (`except` one job, the one being
 * checked).
 */
export async function currentUsage(
  db: D1Database,
  userId: string,
  except = "",
): Promise<Pick<Usage, "concurrent_jobs" | "day"> & { oldest_at: string | null }> {
  const since = new Date(Date.now() - DAY_MS).toISOString();
  const [running, day] = await db.batch<Record<string, number | string | null>>([
    activeCountStatement(db, userId),
    usageSinceStatement(db, userId, since, except),
  ]);
  const d = day?.results[0] ?? {};
  return {
    concurrent_jobs: Number(running?.results[0]?.n ?? 0),
    day: {
      since,
      jobs: Number(d.jobs ?? 0),
      pages: Number(d.pages ?? 0),
      audio_minutes: Math.round((Number(d.seconds ?? 0) / 60) * 100) / 100,
    },
    oldest_at: (d.oldest as string | null) ?? null,
  };
}

/** What the user holds open: multipart uploads begun and not completed nor expired, and API keys not revoked. */
export async function heldOpen(db: D1Database, userId: string): Promise<Pick<Usage, "open_uploads" | "api_keys">> {
  const [open, keys] = await db.batch<Record<string, number | null>>([
    db
      .prepare(
        "SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes FROM uploads WHERE user_id = ? AND completed_at IS NULL AND expires_at > ?",
      )
      .bind(userId, new Date().toISOString()),
    db.prepare("SELECT count(*) AS n FROM api_keys WHERE user_id = ? AND revoked_at IS NULL").bind(userId),
  ]);
  return {
    open_uploads: { count: Number(open?.results[0]?.n ?? 0), bytes: Number(open?.results[0]?.bytes ?? 0) },
    api_keys: Number(keys?.results[0]?.n ?? 0),
  };
}

/**
 * Refuses a new multipart upload of `size` bytes (429 `quota_exceeded`) while the user's open ones
 * are at their cap, in number or in bytes: they hold storage until completed or expired (24 h).
 */
export async function assertCanOpenUpload(db: D1Database, userId: string, size: number, configured: UserLimits) {
  const [limits, usage] = await Promise.all([limitsFor(db, userId, configured), heldOpen(db, userId)]);
  const { count, bytes } = usage.open_uploads;
  if (count >= limits.max_open_uploads || bytes + size > limits.max_open_upload_bytes) {
    throw new ApiError(
      "quota_exceeded",
      `${count} uploads of ${bytes} bytes are open; at most ${limits.max_open_uploads} of ${limits.max_open_upload_bytes} bytes in all: complete them, or wait for them to expire (24 h)`,
      { "retry-after": "3600" },
    );
  }
}

/** Refuses a new API key (429 `quota_exceeded`) while the user has its cap of keys not revoked. */
export async function assertCanCreateKey(db: D1Database, userId: string, configured: UserLimits) {
  const [limits, usage] = await Promise.all([limitsFor(db, userId, configured), heldOpen(db, userId)]);
  if (usage.api_keys >= limits.max_api_keys) {
    throw new ApiError(
      "quota_exceeded",
      `${usage.api_keys} API keys are live, the most allowed (${limits.max_api_keys}): revoke one first`,
    );
  }
}

/**
 * Refuses a new job (429 `quota_exceeded`, with Retry-After) while the user is at a limit (each one
 * the user's own if set, else the `configured` one).
 */
export async function assertCanSubmit(db: D1Database, userId: string, configured: UserLimits): Promise<void> {
  const [limits, usage] = await Promise.all([limitsFor(db, userId, configured), currentUsage(db, userId)]);
  if (usage.concurrent_jobs >= limits.max_concurrent_jobs) {
    throw new ApiError(
      "quota_exceeded",
      `${usage.concurrent_jobs} jobs are queued or processing, the most allowed at once (${limits.max_concurrent_jobs}); submit again when one ends`,
      { "retry-after": String(CONCURRENT_RETRY_AFTER_S) },
    );
  }
  if (usage.day.jobs >= limits.daily_jobs) {
    const frees = usage.oldest_at ? Date.parse(usage.oldest_at) + DAY_MS - Date.now() : DAY_MS;
    throw new ApiError("quota_exceeded", `the daily quota of ${limits.daily_jobs} jobs is used up`, {
      "retry-after": String(Math.max(1, Math.ceil(frees / 1000))),
    });
  }
}

/**
 * What a job's size leaves of the user's limits (each one the user's own if set, else the
 * `configured` one), once its pages or duration are known: null if it fits, else the error it fails with (`limit_exceeded` for
 * one job too large, `quota_exceeded` when the daily volume would be passed).
 */
export async function sizeRefusal(
  db: D1Database,
  job: { id: string; user_id: string },
  size: { pages: number | null; duration_s: number | null },
  configured: UserLimits,
): Promise<{ code: "limit_exceeded" | "quota_exceeded"; message: string } | null> {
  const limits = await limitsFor(db, job.user_id, configured);
  const minutes = (size.duration_s ?? 0) / 60;
  if ((size.pages ?? 0) > limits.max_pages_per_job) {
    return {
      code: "limit_exceeded",
      message: `${size.pages} pages; one job may have at most ${limits.max_pages_per_job}`,
    };
  }
  if (minutes > limits.max_minutes_per_job) {
    return {
      code: "limit_exceeded",
      message: `${minutes.toFixed(1)} minutes; one job may last at most ${limits.max_minutes_per_job}`,
    };
  }
  const { day } = await currentUsage(db, job.user_id, job.id);
  if (day.pages + (size.pages ?? 0) > limits.daily_pages) {
    return {
      code: "quota_exceeded",
      message: `${size.pages} more pages would pass the daily quota of ${limits.daily_pages} (${day.pages} used)`,
    };
  }
  if (day.audio_minutes + minutes > limits.daily_audio_minutes) {
    return {
      code: "quota_exceeded",
      message: `${minutes.toFixed(1)} more minutes would pass the daily quota of ${limits.daily_audio_minutes} (${day.audio_minutes} used)`,
    };
  }
  return null;
}
