import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { VerbatimClient } from "../../client";
import { applyMigrations, startStack, waitUntilReady } from "../local-stack";

/** What every benchmark starts from: a fresh work directory, whose `state` holds the local stack's data (migrated). */
export function benchWorkDir(name: string): string {
  const work = mkdtempSync(join(tmpdir(), `verbatim-bench-${name}-`));
  process.env.VERBATIM_STATE_DIR = join(work, "state");
  applyMigrations();
  return work;
}

/** A user and an API key in the benchmark's state, through `npm run keys:create`. */
export function createBenchKey(email = "bench@example.test"): string {
  const out = execFileSync(resolve("node_modules/.bin/tsx"), ["scripts/keys-create.ts", "--email", email], {
    encoding: "utf8",
  });
  return out.trim().split("\n").at(-1) as string;
}

/** The stack on `apiPort` (the runner on the next port), ready; `vars` override the Worker's, `runnerEnv` the runner's. */
export async function startBenchStack(
  apiPort: number,
  log: (line: string) => void = () => {},
  vars: Record<string, string> = {},
  runnerEnv: Record<string, string> = {},
) {
  const stack = startStack({ apiPort, runnerPort: apiPort + 1, log, vars, runnerEnv });
  await waitUntilReady(stack.url, 180_000);
  return stack;
}

/** Uploads a file, follows its job to the end over the socket, fetches `formats`; the first one's text. */
export async function submitAndFetch(
  client: VerbatimClient,
  file: string,
  name: string,
  formats: readonly ("txt" | "json" | "pdf" | "srt" | "vtt")[],
): Promise<string> {
  const job = await client.submit(new Blob([readFileSync(file)]), name);
  const done = await client.follow(job.id);
  if (done.status !== "succeeded") throw new Error(`${name}: ${done.status} ${JSON.stringify(done.error)}`);
  const [first] = await Promise.all(formats.map((format) => client.result(job.id, format)));
  return new TextDecoder().decode(first);
}
