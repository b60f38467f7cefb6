import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config";

describe("loadConfig", () => {
  it("accepts the local configuration", () => {
    expect(loadConfig(env)).toMatchObject({ ENVIRONMENT: "development", MAX_UPLOAD_BYTES: 104857600 });
  });

  it("names every missing binding and bad variable", () => {
    const broken = { ...env, DB: undefined, RUNNER_URL: "not a url" } as unknown as Env;
    expect(() => loadConfig(broken)).toThrow(ConfigError);
    expect(() => loadConfig(broken)).toThrow(/binding DB is missing.*RUNNER_URL/);
  });

  it("needs a runner (URL or container) and the AI binding for Workers AI speech", () => {
    const noRunner = { ...env, RUNNER_URL: undefined } as unknown as Env;
    expect(() => loadConfig(noRunner)).toThrow(/set RUNNER_URL or bind the MEDIA_RUNNER container/);
    const whisper = { ...env, SPEECH_ENGINE: "workers-ai" } as unknown as Env;
    expect(() => loadConfig(whisper)).toThrow(/needs the AI binding/);
  });
});
