import { z } from "zod";
import { JobStatus } from "../contracts/job";
import { DEFAULT_OCR_LANGUAGES, LANGUAGE_CODE } from "../contracts/languages";
import { DEFAULT_LIMITS, LimitOverrides } from "../contracts/limits";
import { LogLevel } from "../contracts/log";
import { AlertThresholds } from "../contracts/operations";
import { RetryPolicy } from "../contracts/retry-policy";

/** A variable holding JSON (default `{}`), parsed and then checked against `schema`. */
const jsonVariable = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .default("{}")
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: "custom", message: "not valid JSON" });
        return z.NEVER;
      }
    })
    .pipe(schema);

const ConsumerFault = z.object({ file_name: z.string(), attempts: z.number().int().min(1) }).strict();

/** The key wrangler.toml gives local development; production must have its own. */
const DEVELOPMENT_WEBHOOK_KEY = "ZGV2ZWxvcG1lbnQtb25seS13ZWJob29rLWtleS0zMmI=";

function isOrigin(value: string): boolean {
  if (value.includes("*")) return false;
  try {
    const url = new URL(value);
    return url.origin === value && (url.protocol === "https:" || url.protocol === "http:");
  } catch {
    return false;
  }
}

/** Variables the worker needs, validated once per isolate with a message naming what is wrong. */
const Vars = z.object({
  ENVIRONMENT: z.enum(["development", "test", "production"]),
  /** The runner as a URL (local process); unused when the MEDIA_RUNNER container binding exists. */
  RUNNER_URL: z.url().optional(),
  RUNNER_INSTANCES: z.coerce.number().int().positive().default(2),
  MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(100 * 1024 ** 2),
  /** Multipart uploads (POST /v1/uploads): the largest file, and the size of each part (R2: at least 5 MiB). */
  MAX_MULTIPART_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(5 * 1024 ** 3),
  UPLOAD_PART_BYTES: z.coerce
    .number()
    .int()
    .min(5 * 1024 ** 2)
    .default(10 * 1024 ** 2),
  SPEECH_ENGINE: z.enum(["runner", "workers-ai"]).default("runner"),
  LOG_LEVEL: LogLevel.default("info"),
  /**
   * Origins (scheme, host and port; comma-separated) whose pages may call the API from a browser,
   * e.g. the web UI on Pages. Empty: no cross-origin calls. Never a wildcard.
   */
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().refine(isOrigin, "an origin such as https://app.example.com: no path, no wildcard"))),
  /**
   * Tesseract languages the runner has (space- or comma-separated codes; the same setting makes
   * `scripts/setup-system.sh` and the runner's image install them). A job asking for another is
   * refused at submission; /readyz checks that the runner has every one. `eng`, the default
   * language, must be among them.
   */
  OCR_LANGUAGES: z
    .string()
    .default(DEFAULT_OCR_LANGUAGES.join(" "))
    .transform((list) => [...new Set(list.split(/[\s,]+/).filter(Boolean))].sort())
    .pipe(
      z
        .array(z.string().regex(LANGUAGE_CODE, "Tesseract language codes such as `deu` or `chi_sim`"))
        .refine((codes) => codes.includes("eng"), "must include eng, the default language"),
    ),
  /** How long an isolate keeps feature-flag settings before reading them again. */
  FLAGS_CACHE_SECONDS: z.coerce.number().nonnegative().default(5),
  /** /readyz is public: it answers from a result this fresh, so polling it cannot hammer dependencies. */
  READYZ_CACHE_SECONDS: z.coerce.number().nonnegative().default(5),
  /** A processing job with no progress report for this long is taken to be abandoned. */
  JOB_STALL_SECONDS: z.coerce.number().positive().default(600),
  /** A queued job not picked up for this long has its work message sent again. */
  JOB_QUEUED_RESEND_SECONDS: z.coerce.number().positive().default(900),
  /** A job waiting in the queue this long in all fails with `job_stalled`. */
  JOB_MAX_QUEUED_SECONDS: z.coerce.number().positive().default(86_400),
  /**
   * Days a job is kept after it ended; then the scheduled upkeep deletes it as DELETE /v1/jobs/{id}
   * would. 0 keeps jobs until their owner deletes them.
   */
  JOB_RETENTION_DAYS: z.coerce.number().int().nonnegative().default(0),
  /** Watchdog recoveries (re-sends) before a stalled job fails with `job_stalled`. */
  JOB_MAX_RECOVERIES: z.coerce.number().int().nonnegative().default(3),
  /** Retry rules per error class, JSON; see contracts/retry-policy.ts for the defaults. */
  RETRY_POLICY: jsonVariable(RetryPolicy),
  /**
   * Fan-out (flag `fan_out`): documents with more pages than this, and recordings longer than
   * FAN_OUT_SECONDS, are split into parts of that size that run in parallel and retry alone.
   */
  FAN_OUT_PAGES: z.coerce.number().int().positive().default(10),
  FAN_OUT_SECONDS: z.coerce.number().min(5).default(600),
  /**
   * Session tokens (JWT) for the web UI: the issuer whose tokens are accepted (`iss`), the
   * audience they must name (`aud`), where its signing keys are published (JWKS), and the signing
   * algorithms accepted. Without JWT_ISSUER only API keys are accepted — except in development,
   * where the built-in development issuer (DEV_ISSUER) signs and the same verification runs.
   */
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).default("verbatim"),
  JWT_JWKS_URL: z.url().optional(),
  /**
   * Sessions sign in as the user their email belongs to, so the issuer must vouch for the email:
   * tokens need `email_verified: true`. Only for an issuer that verifies every email and does not
   * send the claim (Cloudflare Access, say) may this be "false".
   */
  JWT_REQUIRE_EMAIL_VERIFIED: z
    .enum(["true", "false"])
    .default("true")
    .transform((v) => v === "true"),
  JWT_ALGORITHMS: z
    .string()
    .default("RS256,ES256,EdDSA")
    .transform((list) => list.split(",").map((alg) => alg.trim()))
    .pipe(z.array(z.enum(["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"])).min(1)),
  /**
   * Webhooks: the key that encrypts signing secrets at rest (32 bytes, base64; a Worker secret in
   * production), the delays between delivery attempts (seconds, comma-separated: the last one
   * repeats until the queue's max_retries), how many failures in a row disable an endpoint, and
   * (development only) whether endpoints may be on private or loopback addresses.
   */
  WEBHOOK_SECRETS_KEY: z.base64().refine((key) => atob(key).length === 32, "32 bytes, base64"),
  WEBHOOK_RETRY_SECONDS: z
    .string()
    .default("5,300,1800,7200,18000,36000")
    .transform((list) => list.split(",").map(Number))
    .pipe(z.array(z.number().int().min(0).max(43_200)).min(1)),
  WEBHOOK_DISABLE_AFTER: z.coerce.number().int().positive().default(50),
  /**
   * One machine only (`npm run dev`, `npm start` set it): webhooks leave through this egress proxy
   * (scripts/egress-proxy.ts), which checks the address each name resolves to before connecting.
   * Unset on Cloudflare, where a Worker's requests leave from Cloudflare's network.
   */
  EGRESS_PROXY_URL: z.url().optional(),
  WEBHOOK_ALLOW_PRIVATE: z
    .enum(["true", "false"])
    .default("false")
    .transform((v) => v === "true"),
  /**
   * Limits and quotas of every user, JSON: any of them, over the defaults (contracts/limits.ts); an
   * admin may set others for one user (/v1/admin/users/{user_id}/limits).
   */
  USER_LIMITS: jsonVariable(LimitOverrides).transform((set) => ({ ...DEFAULT_LIMITS, ...set })),
  /** Alert thresholds, JSON; see contracts/operations.ts for the defaults. */
  ALERT_THRESHOLDS: jsonVariable(AlertThresholds),
  /** Budget per job, over all its attempts: processing attempts, and seconds spent in engines. */
  JOB_MAX_ATTEMPTS: z.coerce.number().int().positive().default(8),
  JOB_MAX_ENGINE_SECONDS: z.coerce.number().positive().default(7200),
  /**
   * Reliability drills only (refused in production): make the D1 mirror write of a job's change to
   * status `fail_d1_mirror_of` fail `times` times, as a D1 outage would; for the job whose file has
   * `file_name`, make the consumer crash (before it can decide, as a dying isolate would) or stall
   * (hold the job without a word until its lease is lost, as one hung on a dead connection would)
   * on its first `attempts` attempts; send the work message of the job whose file is named
   * `duplicate_messages_of` twice, as an at-least-once queue may deliver it.
   */
  FAULT_INJECTION: jsonVariable(
    z
      .object({
        fail_d1_mirror_of: JobStatus.optional(),
        times: z.number().int().min(1).default(1),
        crash_consumer: ConsumerFault.optional(),
        stall_consumer: ConsumerFault.optional(),
        duplicate_messages_of: z.string().optional(),
      })
      .strict(),
  ),
});
export type Config = z.infer<typeof Vars>;

const BINDINGS = ["DB", "FILES", "OCR_QUEUE", "AV_QUEUE", "JOB_COORDINATOR", "API_RATE_LIMIT"] as const;

export class ConfigError extends Error {
  override name = "ConfigError";
}

const cache = new WeakMap<object, Config>();

/** The names of every variable the worker reads (for launchers that pass some of them on). */
export const VARIABLE_NAMES = Object.keys(Vars.shape) as (keyof typeof Vars.shape)[];

/**
 * Checks the worker's variables, alone and together, without its bindings: the parsed settings, or
 * every problem found. `loadConfig` runs it at the first request; `npm start` before it starts.
 */
export function checkVariables(
  env: Record<string, unknown>,
): { config: Config; problems: [] } | { config: null; problems: string[] } {
  const vars = Vars.safeParse(env);
  if (!vars.success) {
    return {
      config: null,
      problems: vars.error.issues.map((issue) => `variable ${issue.path.join(".")}: ${issue.message}`),
    };
  }
  const problems: string[] = [];
  if (!vars.data.RUNNER_URL && !env.MEDIA_RUNNER) problems.push("set RUNNER_URL or bind the MEDIA_RUNNER container");
  if (vars.data.SPEECH_ENGINE === "workers-ai" && !env.AI) {
    problems.push("SPEECH_ENGINE=workers-ai needs the AI binding");
  }
  const { fail_d1_mirror_of, crash_consumer, stall_consumer, duplicate_messages_of } = vars.data.FAULT_INJECTION;
  const drill = fail_d1_mirror_of || crash_consumer || stall_consumer || duplicate_messages_of;
  if (vars.data.JWT_ISSUER && !vars.data.JWT_JWKS_URL)
    problems.push("JWT_ISSUER needs JWT_JWKS_URL (its signing keys)");
  if (vars.data.ENVIRONMENT === "production" && vars.data.CORS_ORIGINS.some((o) => !o.startsWith("https://"))) {
    problems.push("CORS_ORIGINS must be https origins in production");
  }
  if (vars.data.ENVIRONMENT === "production" && vars.data.WEBHOOK_ALLOW_PRIVATE) {
    problems.push("WEBHOOK_ALLOW_PRIVATE is for local development and refused in production");
  }
  if (vars.data.ENVIRONMENT === "production" && vars.data.WEBHOOK_SECRETS_KEY === DEVELOPMENT_WEBHOOK_KEY) {
    problems.push(
      "WEBHOOK_SECRETS_KEY is the development key: set one of your own (`openssl rand -base64 32`; on Cloudflare, `wrangler secret put WEBHOOK_SECRETS_KEY`)",
    );
  }
  if (drill && vars.data.ENVIRONMENT === "production") {
    problems.push("FAULT_INJECTION is for drills and refused in production");
  }
  return problems.length > 0 ? { config: null, problems } : { config: vars.data, problems: [] };
}

/** `env`: the Worker's bindings and variables (typed as a plain object so launchers can import this file). */
export function loadConfig(env: object): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const missing = BINDINGS.filter((b) => !(env as Record<string, unknown>)[b]).map(
    (b) => `binding ${b} is missing (see wrangler.toml)`,
  );
  const { config, problems } = checkVariables(env as Record<string, unknown>);
  if (missing.length > 0 || !config) {
    throw new ConfigError(`Invalid worker configuration: ${[...missing, ...problems].join("; ")}`);
  }
  cache.set(env, config);
  return config;
}
