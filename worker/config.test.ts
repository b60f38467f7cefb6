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

  it("refuses drill fault injection in production, and malformed settings anywhere", () => {
    const fault = JSON.stringify({ fail_d1_mirror_of: "succeeded" });
    expect(loadConfig({ ...env, FAULT_INJECTION: fault } as unknown as Env).FAULT_INJECTION).toEqual({
      fail_d1_mirror_of: "succeeded",
      times: 1,
    });
    const production = { ...env, ENVIRONMENT: "production", FAULT_INJECTION: fault } as unknown as Env;
    expect(() => loadConfig(production)).toThrow(/refused in production/);
    expect(() => loadConfig({ ...env, FAULT_INJECTION: "{" } as unknown as Env)).toThrow(
      /FAULT_INJECTION: not valid JSON/,
    );
    expect(() => loadConfig({ ...env, RETRY_POLICY: '{"flaky":{}}' } as unknown as Env)).toThrow(/RETRY_POLICY/);
  });

  it("needs a runner (URL or container) and the AI binding for Workers AI speech", () => {
    const noRunner = { ...env, RUNNER_URL: undefined } as unknown as Env;
    expect(() => loadConfig(noRunner)).toThrow(/set RUNNER_URL or bind the MEDIA_RUNNER container/);
    const whisper = { ...env, SPEECH_ENGINE: "workers-ai" } as unknown as Env;
    expect(() => loadConfig(whisper)).toThrow(/needs the AI binding/);
  });
});
