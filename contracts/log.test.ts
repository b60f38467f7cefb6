import { describe, expect, it } from "vitest";
import { createLogger, LogRecord } from "./log";

describe("createLogger", () => {
  it("writes one JSON line with the mandatory fields, and drops lines below its level", () => {
    const lines: string[] = [];
    const log = createLogger("consumer", "info", {}, (l) => lines.push(l)).with({
      request_id: "req-1",
      job_id: "job_1",
    });
    log.debug("hidden");
    log.info("job succeeded", { attempt: 2, duration_ms: 1500 });
    expect(lines).toHaveLength(1);
    const record = LogRecord.parse(JSON.parse(lines[0] ?? ""));
    expect(record).toMatchObject({
      level: "info",
      msg: "job succeeded",
      service: "consumer",
      request_id: "req-1",
      job_id: "job_1",
      attempt: 2,
      duration_ms: 1500,
    });
    expect(Date.parse(record.ts)).not.toBeNaN();
  });

  it("never writes secrets, whatever the field", () => {
    const lines: string[] = [];
    createLogger("api", "debug", {}, (l) => lines.push(l)).warn("odd request", {
      authorization: "Bearer vb_secret",
      api_key: "vb_secret",
      ticket: "abc",
      path: "/v1/jobs",
    });
    expect(lines[0]).not.toContain("vb_secret");
    expect(lines[0]).not.toContain("abc");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ authorization: "[redacted]", path: "/v1/jobs" });
  });
});
