import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { resolve } from "node:path";

/** Where `npm run dev`, `npm run keys:create` and the end-to-end tests keep local D1/R2/queue state. */
export const stateDir = () => resolve(process.env.VERBATIM_STATE_DIR ?? ".wrangler/state");

const bin = (name: string) => resolve("node_modules/.bin", name);

/** Local runs need no network: no usage metrics, and the simulated request.cf instead of a download. */
const OFFLINE = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

/** Runs wrangler to completion (for one-shot commands such as migrations), failing loudly. */
export function wrangler(args: string[]): string {
  const run = spawnSync(bin("wrangler"), [...args, "--persist-to", stateDir()], {
    encoding: "utf8",
    env: { ...process.env, ...OFFLINE, CI: "true" },
  });
  if (run.status !== 0) {
    throw new Error(`wrangler ${args.join(" ")} failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
  return run.stdout;
}

export const applyMigrations = () => wrangler(["d1", "migrations", "apply", "DB", "--local"]);

export type StackOptions = {
  apiPort: number;
  runnerPort: number;
  log: (line: string) => void;
  /** Extra worker variables (`wrangler dev --var`), e.g. a faster retry policy for drills. */
  vars?: Record<string, string>;
  /** Extra runner environment, e.g. injected faults for drills. */
  runnerEnv?: Record<string, string>;
};

/** Starts the media runner and the API worker (with its queue consumers and Durable Objects). */
export function startStack({ apiPort, runnerPort, log, vars = {}, runnerEnv = {} }: StackOptions) {
  const pipeLogs = (name: string, child: ChildProcess) => {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        for (const line of chunk.split("\n")) if (line.trim()) log(`[${name}] ${line}`);
      });
    }
    return child;
  };
  // One process (node with the tsx loader), so killing it really stops the runner.
  const spawnRunner = (env: Record<string, string> = runnerEnv) =>
    pipeLogs(
      "runner",
      spawn(process.execPath, ["--import", "tsx", "container/server.ts"], {
        env: { ...process.env, ...env, PORT: String(runnerPort), HOST: "127.0.0.1" },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
  let runner = spawnRunner();
  // OCR_LANGUAGES set for `npm run dev` is what setup-system.sh installed: the worker accepts the same.
  const languages = process.env.OCR_LANGUAGES ? { OCR_LANGUAGES: process.env.OCR_LANGUAGES } : {};
  const varArgs = Object.entries({ RUNNER_URL: `http://127.0.0.1:${runnerPort}`, ...languages, ...vars }).flatMap(
    ([k, v]) => ["--var", `${k}:${v}`],
  );
  const api = pipeLogs(
    "api",
    spawn(
      bin("wrangler"),
      [
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(apiPort),
        "--persist-to",
        stateDir(),
        ...varArgs,
        "--show-interactive-dev-session=false",
      ],
      { env: { ...process.env, ...OFFLINE }, stdio: ["ignore", "pipe", "pipe"] },
    ),
  );
  const stop = () => {
    for (const child of [api, runner]) if (child.exitCode === null) child.kill("SIGTERM");
  };
  return {
    api,
    get runner() {
      return runner;
    },
    /** Drills: kills the runner as a crash would (SIGKILL), waiting until it is gone. */
    killRunner: async () => {
      const exited = new Promise((resolve) => runner.once("exit", resolve));
      runner.kill("SIGKILL");
      await exited;
    },
    /** Drills: starts the runner again (optionally with other settings). */
    restartRunner: (env?: Record<string, string>) => {
      runner = spawnRunner(env);
    },
    stop,
    url: `http://127.0.0.1:${apiPort}`,
  };
}

/** Polls /readyz until every dependency answers, or throws after `timeoutMs`. */
export async function waitUntilReady(url: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the stack did not become ready within ${timeoutMs / 1000}s: ${last}`);
}
