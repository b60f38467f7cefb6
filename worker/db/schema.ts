import { sql } from "drizzle-orm";
import { index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { SCOPES, type Scope } from "../../contracts/api-keys";
import { PROFILES } from "../../contracts/estimates";
import { JOB_KINDS, JOB_STATUSES } from "../../contracts/job";
import type { LimitOverrides } from "../../contracts/limits";

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  email: text("email").notNull().unique(),
  /** `admin` may use /v1/admin (dead letters, replay). */
  role: text("role", { enum: ["user", "admin"] })
    .notNull()
    .default("user"),
  created_at: text("created_at").notNull(),
});

/** Keys are stored as SHA-256 hashes only; `prefix` is the first characters, for display. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    key_hash: text("key_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    name: text("name").notNull(),
    /** What the key may do (contracts/api-keys.ts), JSON. */
    scopes: text("scopes", { mode: "json" })
      .$type<Scope[]>()
      .notNull()
      .default(sql`'${sql.raw(JSON.stringify(SCOPES))}'`),
    created_at: text("created_at").notNull(),
    last_used_at: text("last_used_at"),
    revoked_at: text("revoked_at"),
  },
  (t) => [index("api_keys_user_idx").on(t.user_id)],
);

/**
 * Who a session token's subject is: the issuer and subject of a verified JWT, mapped to a user
 * (created, or linked by email, on first sign-in).
 */
export const identities = sqliteTable(
  "identities",
  {
    issuer: text("issuer").notNull(),
    subject: text("subject").notNull(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    created_at: text("created_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] })],
);

/**
 * The development issuer's signing key (development only): made once, on first use, so every
 * isolate of the local stack signs and verifies with the same key.
 */
export const devSigningKeys = sqliteTable("dev_signing_keys", {
  kid: text("kid").primaryKey(),
  private_jwk: text("private_jwk").notNull(),
  public_jwk: text("public_jwk").notNull(),
  created_at: text("created_at").notNull(),
});

/**
 * The queryable mirror of each job. The job's Durable Object is the source of truth and the only
 * writer of `status` and everything after it; this row exists for listing and counting.
 * Ids are ULIDs, so ordering by id is ordering by creation time.
 */
export const jobs = sqliteTable(
  "jobs",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    kind: text("kind", { enum: JOB_KINDS }).notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    file_name: text("file_name").notNull(),
    file_size: integer("file_size").notNull(),
    file_mime: text("file_mime").notNull(),
    /** SHA-256 of the uploaded bytes, hex: finds an identical earlier upload. */
    file_sha256: text("file_sha256").notNull().default(""),
    pages: integer("pages"),
    duration_s: real("duration_s"),
    error_code: text("error_code"),
    created_at: text("created_at").notNull(),
    updated_at: text("updated_at").notNull(),
    /** The full job document as the coordinator last wrote it (JSON of the `Job` contract). */
    snapshot: text("snapshot").notNull(),
  },
  (t) => [
    index("jobs_user_id_idx").on(t.user_id, t.id),
    // Listing filtered by status or kind, newest first (services/job-list.ts); quotas count by status.
    index("jobs_user_status_id_idx").on(t.user_id, t.status, t.id),
    index("jobs_user_kind_id_idx").on(t.user_id, t.kind, t.id),
    index("jobs_user_sha256_idx").on(t.user_id, t.file_sha256),
    // Jobs by how long their status has stood: stuck-job checks, and the retention sweep.
    index("jobs_status_updated_idx").on(t.status, t.updated_at),
  ],
);

/**
 * How many of each user's jobs are in each status, kept by triggers on `jobs` (migration
 * 0013_job_counts.sql) in the same transaction as every insert, status change and delete, so
 * `GET /v1/jobs/counts` reads a handful of rows however many jobs a user has.
 */
export const jobCounts = sqliteTable(
  "job_counts",
  {
    user_id: text("user_id").notNull(),
    status: text("status", { enum: JOB_STATUSES }).notNull(),
    n: integer("n").notNull(),
  },
  (t) => [primaryKey({ columns: [t.user_id, t.status] })],
);

/**
 * `Idempotency-Key` records: the first request with a key claims it (`pending`), then stores its
 * response (`done`) for replay. A key is per user and expires after `expires_at`.
 */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    user_id: text("user_id").notNull(),
    key: text("key").notNull(),
    /** SHA-256 over what the request asked for (file bytes, name, options). */
    request_hash: text("request_hash").notNull(),
    state: text("state", { enum: ["pending", "done"] }).notNull(),
    /** The job this request creates, chosen before it is created, so a takeover finds it. */
    job_id: text("job_id"),
    /** A pending claim past this time was abandoned (its request died) and may be taken over. */
    locked_until: text("locked_until"),
    response_status: integer("response_status"),
    response_body: text("response_body"),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.user_id, t.key] }), index("idempotency_keys_expiry_idx").on(t.expires_at)],
);

/**
 * Work messages that exhausted their deliveries, enriched with what the job knew when they died,
 * kept for inspection and replay.
 */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    id: text("id").primaryKey(),
    job_id: text("job_id").notNull(),
    user_id: text("user_id"),
    queue: text("queue").notNull(),
    message_id: text("message_id").notNull(),
    /** Deliveries of the message. */
    attempts: integer("attempts").notNull(),
    /** The job's last error when the message died. */
    error_code: text("error_code"),
    error_message: text("error_message"),
    /** Where the work stood: the job's status, or its processing stage. */
    stage: text("stage").notNull(),
    enqueued_at: text("enqueued_at"),
    dead_at: text("dead_at").notNull(),
    /** The message body as delivered (JSON). */
    body: text("body").notNull(),
    replayed_at: text("replayed_at"),
    replay_count: integer("replay_count").notNull().default(0),
  },
  (t) => [
    uniqueIndex("dead_letters_message_idx").on(t.queue, t.message_id),
    index("dead_letters_job_idx").on(t.job_id),
    index("dead_letters_code_idx").on(t.error_code, t.dead_at),
    index("dead_letters_dead_at_idx").on(t.dead_at),
  ],
);

/**
 * Operational events for metrics: one row per job ending, retry and dead letter. Read by the admin
 * metrics endpoint (counts and latency percentiles over a window); in production the same events
 * also go to Workers Analytics Engine.
 */
export const metricEvents = sqliteTable(
  "metric_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name", { enum: ["job_ended", "job_retried", "job_dead_lettered"] }).notNull(),
    kind: text("kind", { enum: JOB_KINDS }).notNull(),
    status: text("status"),
    error_code: text("error_code"),
    /** From creation to the first start of processing. */
    queue_wait_ms: integer("queue_wait_ms"),
    /** From the first start of processing to the end. */
    processing_ms: integer("processing_ms"),
    attempts: integer("attempts"),
    /** What a job ended with processed: pages (OCR) or audio minutes (A/V); throughput is processing_ms per unit. */
    units: real("units"),
    /** What the job's file was, as estimates tell them apart: pdf, image, audio or video (contracts/estimates). */
    profile: text("profile", { enum: PROFILES }),
    at: text("at").notNull(),
  },
  (t) => [index("metric_events_name_at_idx").on(t.name, t.at), index("metric_events_at_idx").on(t.at)],
);

/**
 * What deleted jobs used of their owner's daily quotas (sizes and times only, no content), kept for
 * a day so that deleting a job does not give its use back; purged by the scheduled upkeep.
 */
export const deletedJobUsage = sqliteTable(
  "deleted_job_usage",
  {
    job_id: text("job_id").primaryKey(),
    user_id: text("user_id").notNull(),
    created_at: text("created_at").notNull(),
    pages: integer("pages"),
    duration_s: real("duration_s"),
  },
  (t) => [index("deleted_job_usage_user_idx").on(t.user_id, t.created_at)],
);

/**
 * Limits an admin set for one user, over USER_LIMITS: any subset of them (contracts/limits.ts
 * LimitOverrides), JSON. No row: the user has the limits everyone has.
 */
export const userLimits = sqliteTable("user_limits", {
  user_id: text("user_id")
    .primaryKey()
    .references(() => users.id),
  overrides: text("overrides", { mode: "json" }).$type<LimitOverrides>().notNull(),
  updated_at: text("updated_at").notNull(),
});

/** Feature flag settings (see contracts/flags.ts for the catalog and defaults). */
export const featureFlags = sqliteTable("feature_flags", {
  name: text("name").primaryKey(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  rollout_percent: integer("rollout_percent").notNull(),
  updated_at: text("updated_at").notNull(),
});

/** Where a user wants job events delivered. The signing secret is kept encrypted (WEBHOOK_SECRETS_KEY). */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<string[]>().notNull(),
    description: text("description"),
    secret_enc: text("secret_enc").notNull(),
    /** After a rotation, the old secret still signs (alongside the new one) until this time. */
    previous_secret_enc: text("previous_secret_enc"),
    previous_secret_until: text("previous_secret_until"),
    created_at: text("created_at").notNull(),
    deleted_at: text("deleted_at"),
    disabled_at: text("disabled_at"),
    disabled_reason: text("disabled_reason"),
    failure_streak: integer("failure_streak").notNull().default(0),
  },
  (t) => [index("webhook_endpoints_user_idx").on(t.user_id)],
);

/** Each event once (its id is what receivers deduplicate on), with the payload every delivery sends. */
export const webhookEvents = sqliteTable("webhook_events", {
  id: text("id").primaryKey(),
  user_id: text("user_id").notNull(),
  type: text("type").notNull(),
  payload: text("payload").notNull(),
  created_at: text("created_at").notNull(),
});

/** Every delivery attempt: what the endpoint answered, or why it could not be reached. */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    event_id: text("event_id").notNull(),
    endpoint_id: text("endpoint_id").notNull(),
    type: text("type").notNull(),
    attempt: integer("attempt").notNull(),
    status_code: integer("status_code"),
    ok: integer("ok", { mode: "boolean" }).notNull(),
    error: text("error"),
    duration_ms: integer("duration_ms").notNull(),
    at: text("at").notNull(),
  },
  (t) => [
    index("webhook_deliveries_endpoint_idx").on(t.endpoint_id, t.id),
    // A job's deliveries, when the job is deleted (event ids begin with the job id).
    index("webhook_deliveries_event_idx").on(t.event_id),
  ],
);

/** Multipart uploads in progress (or completed into a job); the bytes are an R2 multipart upload. */
export const uploads = sqliteTable(
  "uploads",
  {
    id: text("id").primaryKey(),
    user_id: text("user_id")
      .notNull()
      .references(() => users.id),
    /** The job the upload becomes, chosen up front: its R2 key is the job's source key. */
    job_id: text("job_id").notNull(),
    r2_upload_id: text("r2_upload_id").notNull(),
    file_name: text("file_name").notNull(),
    size: integer("size").notNull(),
    part_size: integer("part_size").notNull(),
    options: text("options").notNull(),
    request_id: text("request_id").notNull(),
    created_at: text("created_at").notNull(),
    expires_at: text("expires_at").notNull(),
    completed_at: text("completed_at"),
  },
  (t) => [index("uploads_user_idx").on(t.user_id), index("uploads_expiry_idx").on(t.expires_at)],
);

export const uploadParts = sqliteTable(
  "upload_parts",
  {
    upload_id: text("upload_id").notNull(),
    part_number: integer("part_number").notNull(),
    etag: text("etag").notNull(),
    size: integer("size").notNull(),
  },
  (t) => [primaryKey({ columns: [t.upload_id, t.part_number] })],
);
