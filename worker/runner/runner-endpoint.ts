import { getRandom } from "@cloudflare/containers";
import type { Config } from "../config";
import type { MediaRunner } from "./media-runner";

/** Where runner requests go: a container instance in production, a local process in development. */
export type RunnerEndpoint = {
  url: (path: string) => string;
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
};

export async function runnerEndpoint(env: Env, config: Config): Promise<RunnerEndpoint> {
  if (env.MEDIA_RUNNER) {
    const stub = await getRandom(env.MEDIA_RUNNER as DurableObjectNamespace<MediaRunner>, config.RUNNER_INSTANCES);
    return { url: (path) => `http://runner${path}`, fetch: (url, init) => stub.fetch(url, init) };
  }
  const base = config.RUNNER_URL ?? "";
  return { url: (path) => new URL(path, base).toString(), fetch: (url, init) => fetch(url, init) };
}
