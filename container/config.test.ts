import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("uses the defaults for unset and empty variables", () => {
    const expected = {
      port: 8788,
      host: "127.0.0.1",
      concurrency: availableParallelism(),
      engineTimeoutMs: 600_000,
      chunkSeconds: 60,
      maxPageMegapixels: 150,
      engineMemoryBytes: 4096 * 1024 * 1024,
      engineNice: 0,
      maxJobs: availableParallelism() * 2,
      logLevel: "info",
      injectOcrCrashes: 0,
      injectUnreadablePages: [],
    };
    expect(loadConfig({})).toEqual(expected);
    expect(loadConfig({ PORT: "", RUNNER_CONCURRENCY: "" })).toEqual(expected);
  });

  it("reads every variable", () => {
    const env = {
      PORT: "9000",
      HOST: "0.0.0.0",
      RUNNER_CONCURRENCY: "4",
      ENGINE_TIMEOUT_SECONDS: "30",
      CHUNK_SECONDS: "45",
      RUNNER_MAX_JOBS: "3",
      RUNNER_INJECT_OCR_CRASHES: "2",
      RUNNER_INJECT_UNREADABLE_PAGES: "4,7",
    };
    expect(loadConfig(env)).toEqual({
      port: 9000,
      host: "0.0.0.0",
      concurrency: 4,
      engineTimeoutMs: 30_000,
      chunkSeconds: 45,
      maxPageMegapixels: 150,
      engineMemoryBytes: 4096 * 1024 * 1024,
      engineNice: 0,
      maxJobs: 3,
      logLevel: "info",
      injectOcrCrashes: 2,
      injectUnreadablePages: [4, 7],
    });
  });

  it("names each bad variable in one error", () => {
    let error: unknown;
    try {
      loadConfig({ PORT: "http", RUNNER_CONCURRENCY: "0", ENGINE_TIMEOUT_SECONDS: "-1", CHUNK_SECONDS: "60" });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of ["PORT", "RUNNER_CONCURRENCY", "ENGINE_TIMEOUT_SECONDS"]) expect(message).toContain(name);
    expect(message).not.toContain("CHUNK_SECONDS");
  });
});
