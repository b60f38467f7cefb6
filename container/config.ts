import { availableParallelism } from "node:os";
import { z } from "zod";
import { LogLevel } from "../contracts/log";

/** Unset and empty variables both mean "use the default". */
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === "" ? undefined : value), schema);

const EnvSchema = z.object({
  PORT: optional(z.coerce.number().int().min(0).max(65_535).default(8788)),
  HOST: optional(z.string().default("127.0.0.1")),
  RUNNER_CONCURRENCY: optional(
    z.coerce
      .number()
      .int()
      .min(1)
      .default(() => availableParallelism()),
  ),
  ENGINE_TIMEOUT_SECONDS: optional(z.coerce.number().positive().default(600)),
  /** Address space each engine process may use (its CPU time is bounded by ENGINE_TIMEOUT_SECONDS). */
  ENGINE_MEMORY_MB: optional(z.coerce.number().int().min(64).default(4096)),
  /**
   * CPU priority of engine processes (nice, 0–19; their I/O goes at best-effort's lowest priority too
   * unless 0): on a machine the runner shares with the API, the API keeps answering while the
   * engines fill every core. 0 (the default) runs them as the runner itself: measured, a lower
   * priority did not speed up the API (docs/PERFORMANCE.md), and it starves the engines beside any
   * other busy process.
   */
  ENGINE_NICE: optional(z.coerce.number().int().min(0).max(19).default(0)),
  CHUNK_SECONDS: optional(z.coerce.number().min(5).default(60)),
  /** Pixels one page may have: larger images are refused, larger PDF pages rendered at a lower resolution. */
  MAX_PAGE_MEGAPIXELS: optional(z.coerce.number().positive().default(150)),
  /** Jobs accepted at once (default: two per engine slot); more are refused with 503 + Retry-After. */
  RUNNER_MAX_JOBS: optional(z.coerce.number().int().min(1).optional()),
  LOG_LEVEL: optional(LogLevel.default("info")),
  /** Reliability drills only: this many OCR engine runs crash on purpose. */
  RUNNER_INJECT_OCR_CRASHES: optional(z.coerce.number().int().min(0).default(0)),
  /** Partial-failure drills only: page numbers (comma-separated) whose recognition always fails. */
  RUNNER_INJECT_UNREADABLE_PAGES: optional(
    z
      .string()
      .regex(/^\d+(,\d+)*$/, "page numbers separated by commas")
      .transform((list) => list.split(",").map(Number))
      .default([]),
  ),
});

export interface RunnerConfig {
  port: number;
  host: string;
  /** Most engine processes running at once, across all requests. */
  concurrency: number;
  engineTimeoutMs: number;
  engineMemoryBytes: number;
  /** Niceness of engine processes (0: the runner's own). */
  engineNice: number;
  /** Target length of the audio chunks recognized in parallel. */
  chunkSeconds: number;
  maxPageMegapixels: number;
  /** Jobs accepted at once. */
  maxJobs: number;
  logLevel: LogLevel;
  /** Reliability drills only: OCR engine runs to crash on purpose. */
  injectOcrCrashes: number;
  /** Partial-failure drills only: pages whose recognition always fails. */
  injectUnreadablePages: number[];
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the runner's settings from environment variables; throws a ConfigError naming each bad one. */
export function loadConfig(env: Record<string, string | undefined>): RunnerConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid runner configuration:\n${z.prettifyError(parsed.error)}`);
  const {
    PORT,
    HOST,
    RUNNER_CONCURRENCY,
    ENGINE_TIMEOUT_SECONDS,
    ENGINE_MEMORY_MB,
    ENGINE_NICE,
    CHUNK_SECONDS,
    MAX_PAGE_MEGAPIXELS,
    RUNNER_MAX_JOBS,
    RUNNER_INJECT_OCR_CRASHES,
    RUNNER_INJECT_UNREADABLE_PAGES,
    LOG_LEVEL,
  } = parsed.data;
  return {
    port: PORT,
    host: HOST,
    concurrency: RUNNER_CONCURRENCY,
    engineTimeoutMs: ENGINE_TIMEOUT_SECONDS * 1000,
    engineMemoryBytes: ENGINE_MEMORY_MB * 1024 * 1024,
    engineNice: ENGINE_NICE,
    chunkSeconds: CHUNK_SECONDS,
    maxPageMegapixels: MAX_PAGE_MEGAPIXELS,
    maxJobs: RUNNER_MAX_JOBS ?? RUNNER_CONCURRENCY * 2,
    logLevel: LOG_LEVEL,
    injectOcrCrashes: RUNNER_INJECT_OCR_CRASHES,
    injectUnreadablePages: RUNNER_INJECT_UNREADABLE_PAGES,
  };
}
