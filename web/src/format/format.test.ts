import { describe, expect, it } from "vitest";
import { formatRelative } from "./date";
import { formatClock, formatSpan } from "./duration";
import { formatBytes } from "./size";
import { explainError, formatProgress } from "./status";

describe("formatters", () => {
  it("formats sizes in binary units", () => {
    expect(formatBytes(0)).toBe("0 B");
    expect(formatBytes(1023)).toBe("1023 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(100 * 1024 * 1024)).toBe("100 MB");
    expect(formatBytes(5 * 1024 ** 3)).toBe("5.0 GB");
    expect(formatBytes(-1)).toBe("–");
  });

  it("formats media clocks and spans", () => {
    expect(formatClock(0)).toBe("0:00");
    expect(formatClock(65.9)).toBe("1:05");
    expect(formatClock(3725)).toBe("1:02:05");
    expect(formatSpan(0.2)).toBe("under a second");
    expect(formatSpan(44.6)).toBe("45 s");
    expect(formatSpan(150)).toBe("3 min");
    expect(formatSpan(3600)).toBe("1 h");
    expect(formatSpan(4800)).toBe("1 h 20 min");
  });

  it("formats dates relative to now", () => {
    const now = Date.parse("2026-11-28T12:00:00Z");
    expect(formatRelative("2026-11-28T11:59:30Z", now)).toBe("just now");
    expect(formatRelative("2026-11-28T11:55:00Z", now)).toBe("5 min ago");
    expect(formatRelative("2026-11-28T09:00:00Z", now)).toBe("3 h ago");
    expect(formatRelative("2026-11-27T10:00:00Z", now)).toBe("yesterday");
    expect(formatRelative("garbage", now)).toBe("–");
  });

  it("formats progress and explains error codes from the catalog", () => {
    expect(formatProgress(null)).toBe("");
    expect(formatProgress({ done: 3, total: 12, unit: "pages", stage: "recognizing" })).toBe(
      "recognizing · 3 of 12 pages",
    );
    expect(formatProgress({ done: 90, total: 245, unit: "seconds", stage: "transcribe" })).toBe(
      "transcribe · 1:30 of 4:05",
    );
    expect(explainError("media_corrupt").action).toMatch(/export or convert it again/);
    expect(explainError("no_such_code").title).toBe("Unexpected error");
  });
});
