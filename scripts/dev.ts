import { spawnSync } from "node:child_process";
import { applyMigrations, startStack, waitUntilReady } from "./local-stack";

/**
 * `npm run dev`: installs missing system tools, applies D1 migrations, starts the media runner and
 * the API worker (queues, Durable Objects, D1 and R2 in wrangler's local simulators), and says
 * "ready" only once /readyz answers 200. A runner or worker that dies or hangs is started again.
 */
const apiPort = Number(process.env.PORT ?? 8787);
const runnerPort = Number(process.env.RUNNER_PORT ?? 8788);

const setup = spawnSync("bash", ["scripts/setup-system.sh"], { stdio: "inherit" });
if (setup.status !== 0) process.exit(setup.status ?? 1);

console.log("dev: building the web UI");
const web = spawnSync("npx", ["vite", "build", "web", "--logLevel", "warn"], { stdio: "inherit" });
if (web.status !== 0) process.exit(web.status ?? 1);

console.log("dev: applying D1 migrations");
applyMigrations();

const stack = startStack({
  apiPort,
  runnerPort,
  log: (line) => console.log(line),
  onGiveUp: (reason) => {
    console.error(`dev: ${reason}; stopping the stack`);
    void shutdown(1);
  },
});
async function shutdown(code: number) {
  await stack.stop();
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  await waitUntilReady(stack.url);
  console.log(`\nVerbatim is ready at ${stack.url}  (web UI; API docs: ${stack.url}/docs)`);
  console.log("Create an API key: npm run keys:create -- --email you@example.com\n");
} catch (err) {
  console.error(`dev: ${err instanceof Error ? err.message : err}`);
  await shutdown(1);
}
