import { FLAGS, type Flag, type FlagName, type FlagSetting } from "../../contracts";
import type { Config } from "../config";
import { sha256Hex } from "../lib/crypto";

type Stored = { name: string; enabled: number; rollout_percent: number; updated_at: string };

/** Settings are re-read at most this often per isolate, so a change takes effect within it, no deploy. */
let cache: { at: number; ttlMs: number; flags: Map<string, Stored> } | null = null;

async function stored(db: D1Database, ttlMs: number): Promise<Map<string, Stored>> {
  if (cache && cache.ttlMs === ttlMs && Date.now() - cache.at < ttlMs) return cache.flags;
  const rows = await db.prepare("SELECT name, enabled, rollout_percent, updated_at FROM feature_flags").all<Stored>();
  const flags = new Map(rows.results.map((r) => [r.name, r]));
  cache = { at: Date.now(), ttlMs, flags };
  return flags;
}

/** Every flag with its current setting (stored, or the catalog's default). */
async function listFlags(db: D1Database, ttlMs: number): Promise<Flag[]> {
  const rows = await stored(db, ttlMs);
  return (Object.keys(FLAGS) as FlagName[]).map((name) => {
    const row = rows.get(name);
    return {
      name,
      description: FLAGS[name].description,
      enabled: row ? row.enabled === 1 : FLAGS[name].default.enabled,
      rollout_percent: row ? row.rollout_percent : FLAGS[name].default.rollout_percent,
      updated_at: row?.updated_at ?? null,
    };
  });
}

/** The user's stable place in 0..99 for a flag: the same user stays in or out as the rollout grows. */
export async function rolloutBucket(flag: FlagName, userId: string): Promise<number> {
  const hex = await sha256Hex(`${flag}:${userId}`);
  return Number.parseInt(hex.slice(0, 8), 16) % 100;
}

async function isEnabled(db: D1Database, ttlMs: number, flag: FlagName, userId: string): Promise<boolean> {
  const setting = (await listFlags(db, ttlMs)).find((f) => f.name === flag) as Flag;
  if (!setting.enabled) return false;
  return (await rolloutBucket(flag, userId)) < setting.rollout_percent;
}

/** Every flag as it applies to one user (what the UI reads). */
async function flagsFor(db: D1Database, ttlMs: number, userId: string): Promise<Record<FlagName, boolean>> {
  const entries = await Promise.all(
    (Object.keys(FLAGS) as FlagName[]).map(async (name) => [name, await isEnabled(db, ttlMs, name, userId)] as const),
  );
  return Object.fromEntries(entries) as Record<FlagName, boolean>;
}

/**
 * The flags as read under this deployment's settings (their cache time, FLAGS_CACHE_SECONDS): one
 * per request (the `flags` variable of the API's context) or per consumer run.
 */
export function flagReader(db: D1Database, config: Pick<Config, "FLAGS_CACHE_SECONDS">) {
  const ttlMs = config.FLAGS_CACHE_SECONDS * 1000;
  return {
    list: () => listFlags(db, ttlMs),
    isEnabled: (flag: FlagName, userId: string) => isEnabled(db, ttlMs, flag, userId),
    /** Every flag as it applies to one user (what the UI reads). */
    forUser: (userId: string) => flagsFor(db, ttlMs, userId),
  };
}
export type FlagReader = ReturnType<typeof flagReader>;

export async function setFlag(db: D1Database, name: FlagName, setting: FlagSetting): Promise<void> {
  await db
    .prepare(
      `INSERT INTO feature_flags (name, enabled, rollout_percent, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET enabled = excluded.enabled, rollout_percent = excluded.rollout_percent,
       updated_at = excluded.updated_at`,
    )
    .bind(name, setting.enabled ? 1 : 0, setting.rollout_percent, new Date().toISOString())
    .run();
  cache = null; // this isolate sees its own change at once; others within their cache time
}
