import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { createEgressProxy } from "./egress-proxy";
import { Supervisor } from "./supervisor";

/** Where `npm run dev`, `npm run keys:create` and the end-to-end tests keep local D1/R2/queue state. */
export const stateDir = () => resolve(process.env.VERBATIM_STATE_DIR ?? ".wrangler/state");

const bin = (name: string) => resolve("node_modules/.bin", name);

/** Local runs need no network: no usage metrics, and the simulated request.cf instead of a download. */
const OFFLINE = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

/**
 * The API's log lines already reach the supervisor's output. wrangler would also copy every line into
 * a debug file of its own per start (under ~/.config/.wrangler/logs, kept 30 days, opened and closed
 * per line): a second, unbounded copy of the logs. `WRANGLER_WRITE_LOGS=true` brings it back.
 */
const NO_DEBUG_LOG_FILE = { WRANGLER_WRITE_LOGS: "false" };

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
  /** The address the API listens on (the runner always listens on 127.0.0.1 only). */
  host?: string;
  /** A file of secret worker variables (NAME=value lines): wrangler hides their values in its output. */
  secretsFile?: string;
  /** The web UI's build to serve, instead of wrangler.toml's `web/dist`. */
  assets?: string;
  onGiveUp?: (reason: string) => void;
};

/**
 * Starts the media runner and the API worker (with its queue consumers and Durable Objects), each
 * kept alive by a supervisor: a process that dies or hangs is started again, with a log line saying
 * so. `onGiveUp` hears of one that keeps dying. Webhooks leave through an egress proxy in this
 * process (scripts/egress-proxy.ts) on the port after the runner's.
 */
export function startStack({
  apiPort,
  runnerPort,
  log,
  vars = {},
  runnerEnv = {},
  host = "127.0.0.1",
  secretsFile,
  assets,
  onGiveUp = () => {},
}: StackOptions) {
  const pipeLogs = (name: string, child: ChildProcess) => {
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding("utf8");
      stream?.on("data", (chunk: string) => {
        for (const line of chunk.split("\n")) if (line.trim()) log(`[${name}] ${line}`);
      });
    }
    return child;
  };
  // Each in a process group of its own (detached), so a restart or a stop ends all it started.
  const spawnRunner = (env: Record<string, string>) => () =>
    pipeLogs(
      "runner",
      spawn(process.execPath, ["--import", "tsx", "container/server.ts"], {
        env: { ...process.env, ...env, PORT: String(runnerPort), HOST: "127.0.0.1" },
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      }),
    );
  // Webhooks leave through the egress proxy, in this process, on the port after the runner's.
  const egressPort = runnerPort + 1;
  const egress = createEgressProxy({
    allowPrivate: (vars.WEBHOOK_ALLOW_PRIVATE ?? process.env.WEBHOOK_ALLOW_PRIVATE) === "true",
  }).listen(egressPort, "127.0.0.1");
  // OCR_LANGUAGES set for `npm run dev` is what setup-system.sh installed: the worker accepts the same.
  const languages = process.env.OCR_LANGUAGES ? { OCR_LANGUAGES: process.env.OCR_LANGUAGES } : {};
  const varArgs = Object.entries({
    RUNNER_URL: `http://127.0.0.1:${runnerPort}`,
    EGRESS_PROXY_URL: `http://127.0.0.1:${egressPort}`,
    ...languages,
    ...vars,
  }).flatMap(([k, v]) => ["--var", `${k}:${v}`]);
  const spawnApi = () =>
    pipeLogs(
      "api",
      spawn(
        bin("wrangler"),
        [
          "dev",
          "--ip",
          host,
          "--port",
          String(apiPort),
          "--persist-to",
          stateDir(),
          ...varArgs,
          ...(secretsFile ? ["--env-file", secretsFile] : []),
          ...(assets ? ["--assets", assets] : []),
          "--show-interactive-dev-session=false",
        ],
        {
          env: { ...NO_DEBUG_LOG_FILE, ...process.env, ...OFFLINE },
          stdio: ["ignore", "pipe", "pipe"],
          detached: true,
        },
      ),
    );
  const local = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  const url = `http://${local.includes(":") ? `[${local}]` : local}:${apiPort}`;
  const runner = new Supervisor({
    name: "runner",
    spawn: spawnRunner(runnerEnv),
    healthUrl: `http://127.0.0.1:${runnerPort}/healthz`,
    log,
    onGiveUp,
  });
  const api = new Supervisor({ name: "api", spawn: spawnApi, healthUrl: `${url}/healthz`, log, onGiveUp });
  runner.start();
  api.start();
  // Detached groups outlive this process unless ended with it.
  const stopNow = () => {
    runner.stopNow();
    api.stopNow();
  };
  process.once("exit", stopNow);
  return {
    url,
    runner,
    api,
    /** Drills: kills the runner as a crash would (SIGKILL, its process alone); its supervisor starts it again. */
    crashRunner: async () => {
      const child = runner.child;
      if (!child) throw new Error("the runner is not running");
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
    /** Stops the runner on purpose; it stays down until `startRunner`. */
    stopRunner: () => runner.stop(),
    /** Starts the runner (again), optionally with other settings. */
    startRunner: (env: Record<string, string> = runnerEnv) => runner.start(spawnRunner(env)),
    stop: async () => {
      process.off("exit", stopNow);
      await Promise.all([api.stop(), runner.stop()]);
      egress.close();
    },
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
