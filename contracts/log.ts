import { z } from "zod";

export const LogLevel = z.enum(["debug", "info", "warn", "error"]);
export type LogLevel = z.infer<typeof LogLevel>;
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** One log line: JSON with these fields first, then the event's own. */
export const LogRecord = z
  .object({
    ts: z.string(),
    level: LogLevel,
    msg: z.string(),
    service: z.enum(["api", "coordinator", "consumer", "runner"]),
    request_id: z.string().nullable(),
    job_id: z.string().optional(),
    user_id: z.string().optional(),
    stage: z.string().optional(),
    attempt: z.number().optional(),
    duration_ms: z.number().optional(),
  })
  .passthrough();
export type LogRecord = z.infer<typeof LogRecord>;

type Fields = Partial<Omit<LogRecord, "ts" | "level" | "msg" | "service">> & Record<string, unknown>;

/** Field names whose values are never written, whatever a caller passes. */
const SECRET = /authorization|api[_-]?key|^key$|token|secret|password|ticket/i;

const redact = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, SECRET.test(k) ? "[redacted]" : v]));

export type Logger = {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** A logger that adds `fields` (e.g. request_id, job_id) to every line. */
  with(fields: Fields): Logger;
};

/**
 * The one logger of every part of the platform: one JSON line per event with the mandatory
 * fields, lines below `level` dropped, secret-looking fields redacted. `write` is `console.log`
 * by default (Workers and Node both collect it).
 */
export function createLogger(
  service: LogRecord["service"],
  level: LogLevel = "info",
  base: Fields = {},
  write: (line: string) => void = console.log,
): Logger {
  const emit = (at: LogLevel, msg: string, fields: Fields = {}) => {
    if (RANK[at] < RANK[level]) return;
    const merged = redact({ ...base, ...fields });
    write(JSON.stringify({ ts: new Date().toISOString(), level: at, msg, service, request_id: null, ...merged }));
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    with: (fields) => createLogger(service, level, { ...base, ...fields }, write),
  };
}
