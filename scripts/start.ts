import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { checkVariables, VARIABLE_NAMES } from "../worker/config";
import { applyMigrations, startStack, stateDir, waitUntilReady } from "./local-stack";

/**
 * `npm start`: Verbatim on one machine for real use, as `npm run dev` runs it (the same runner and
 * worker, D1, R2, Queues and Durable Objects in wrangler's local simulators, supervised) but with
 * production settings: no development issuer (people sign in through the OpenID Connect provider
 * named by OIDC_ISSUER and OIDC_CLIENT_ID; programs use API keys), a webhook key of the operator's
 * own, https-only webhooks to public addresses, and the drills' fault injection refused. Settings
 * come from the environment; see README "Self-hosting on one machine".
 */
const Settings = z.object({
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: z.coerce.number().int().min(1).max(65_535).default(8787),
  RUNNER_PORT: z.coerce.number().int().min(1).max(65_535).default(8788),
  VERBATIM_STATE_DIR: z.string().min(1).default("data"),
  OIDC_ISSUER: z.url().optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  WEBHOOK_SECRETS_KEY: z.string().optional(),
});

/** Settings only development and drills may use. */
const DEVELOPMENT_ONLY = ["RUNNER_INJECT_OCR_CRASHES", "RUNNER_INJECT_UNREADABLE_PAGES", "FAULT_INJECTION"];
/** Worker variables passed as secrets (hidden in wrangler's output), never on a command line. */
const SECRETS = new Set(["WEBHOOK_SECRETS_KEY"]);

function fail(problems: string[]): never {
  console.error(`start: refusing to start:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(2);
}

const parsed = Settings.safeParse(process.env);
if (!parsed.success) fail(parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
const settings = parsed.data;
const problems: string[] = [];
for (const name of DEVELOPMENT_ONLY) if (process.env[name]) problems.push(`${name} is for drills, not for real use`);
if (!settings.WEBHOOK_SECRETS_KEY) {
  problems.push("WEBHOOK_SECRETS_KEY is not set: 32 random bytes, base64 (`openssl rand -base64 32`), kept secret");
}
if (Boolean(settings.OIDC_ISSUER) !== Boolean(settings.OIDC_CLIENT_ID)) {
  problems.push("OIDC_ISSUER and OIDC_CLIENT_ID go together");
}
// The worker's variables: those set in this environment, then what this mode decides.
const variables: Record<string, string> = {
  ...Object.fromEntries(VARIABLE_NAMES.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : []))),
  ENVIRONMENT: "production",
  RUNNER_URL: `http://127.0.0.1:${settings.RUNNER_PORT}`,
};
if (settings.WEBHOOK_SECRETS_KEY) problems.push(...checkVariables(variables).problems);
if (problems.length > 0) fail(problems);

/** The provider's keys, from its discovery document (what the web UI will also read). */
async function jwksUri(issuer: string): Promise<string> {
  const url = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) }).catch((err) => {
    fail([`OIDC_ISSUER: ${url} did not answer (${err instanceof Error ? err.message : err})`]);
  });
  const discovery = z.object({ issuer: z.string(), jwks_uri: z.url() }).safeParse(res.ok ? await res.json() : null);
  if (!discovery.success) fail([`OIDC_ISSUER: ${url} answered ${res.status} without an issuer and jwks_uri`]);
  if (discovery.data.issuer !== issuer) {
    fail([`OIDC_ISSUER: the provider calls itself ${discovery.data.issuer}; set OIDC_ISSUER to exactly that`]);
  }
  return discovery.data.jwks_uri;
}

const signIn: Record<string, string> =
  settings.OIDC_ISSUER && settings.OIDC_CLIENT_ID
    ? {
        JWT_ISSUER: settings.OIDC_ISSUER,
        JWT_AUDIENCE: settings.OIDC_CLIENT_ID,
        JWT_JWKS_URL: await jwksUri(settings.OIDC_ISSUER),
      }
    : {};
Object.assign(variables, signIn);
if (!signIn.JWT_ISSUER) {
  console.warn("start: no OIDC_ISSUER: the web UI cannot sign anyone in; programs use API keys");
}

process.env.VERBATIM_STATE_DIR = resolve(settings.VERBATIM_STATE_DIR);
mkdirSync(stateDir(), { recursive: true });

/**
 * The web UI, built for this sign-in provider into the state directory's `web/`, again only when
 * the code or the provider changed (the provider's origin is in the build and its CSP).
 */
function buildWebUi(): string {
  const out = join(stateDir(), "web");
  const commit = spawnSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).stdout?.trim() || String(Date.now());
  const stamp = JSON.stringify({
    commit,
    issuer: settings.OIDC_ISSUER ?? null,
    client: settings.OIDC_CLIENT_ID ?? null,
  });
  const stampFile = join(out, ".build");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return out;
  console.log("start: building the web UI");
  const env = {
    ...process.env,
    VITE_OIDC_ISSUER: settings.OIDC_ISSUER ?? "",
    VITE_OIDC_CLIENT_ID: settings.OIDC_CLIENT_ID ?? "",
  };
  const build = spawnSync(
    resolve("node_modules/.bin/vite"),
    ["build", "web", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"],
    {
      stdio: "inherit",
      env,
    },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
  writeFileSync(stampFile, stamp);
  return out;
}

const setup = spawnSync("bash", ["scripts/setup-system.sh"], { stdio: "inherit" });
if (setup.status !== 0) process.exit(setup.status ?? 1);
const web = buildWebUi();
console.log(`start: applying D1 migrations in ${stateDir()}`);
applyMigrations();

// Secrets reach wrangler in a file only this user can read, removed when the stack stops.
const secretsDir = mkdtempSync(join(tmpdir(), "verbatim-secrets-"));
const secretsFile = join(secretsDir, "secrets.env");
writeFileSync(
  secretsFile,
  Object.entries(variables)
    .filter(([name]) => SECRETS.has(name))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}\n`)
    .join(""),
  { mode: 0o600 },
);
const stack = startStack({
  apiPort: settings.PORT,
  runnerPort: settings.RUNNER_PORT,
  host: settings.HOST,
  log: (line) => console.log(line),
  vars: Object.fromEntries(Object.entries(variables).filter(([name]) => !SECRETS.has(name))),
  secretsFile,
  assets: web,
  onGiveUp: (reason) => {
    console.error(`start: ${reason}; stopping`);
    void shutdown(1);
  },
});
async function shutdown(code: number) {
  await stack.stop();
  rmSync(secretsDir, { recursive: true, force: true });
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

// Cloudflare runs the worker's cron trigger (wrangler.toml: upkeep every five minutes); locally
// wrangler does not, so this process does, through wrangler's endpoint for it.
const UPKEEP_EVERY_MS = 5 * 60_000;
setInterval(() => {
  fetch(`${stack.url}/cdn-cgi/local/scheduled`, { signal: AbortSignal.timeout(60_000) })
    .then((res) => res.body?.cancel())
    .catch((err) => console.error(`start: the scheduled upkeep did not run (${err})`));
}, UPKEEP_EVERY_MS).unref();

try {
  await waitUntilReady(stack.url);
  console.log(`\nVerbatim is ready on ${settings.HOST}:${settings.PORT} (state: ${stateDir()})`);
  console.log(
    `The first admin: VERBATIM_STATE_DIR=${stateDir()} npm run keys:create -- --email you@example.com --admin\n`,
  );
} catch (err) {
  console.error(`start: ${err instanceof Error ? err.message : err}`);
  await shutdown(1);
}
