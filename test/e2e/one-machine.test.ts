import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JobResource, Problem } from "../../contracts";
import { waitUntilReady } from "../../scripts/local-stack";
import { MediaFixtures } from "../support/media-fixtures";
import { startOidcProvider } from "../support/oidc-provider";
import { characterErrorRate } from "../support/text-metrics";
import { launchChromium } from "./browser";
import { STACK_WORK_MS } from "./stack";

/**
 * `npm start`, the one-machine mode for real use, run as an operator would: settings in the
 * environment, people signing in through an OpenID Connect provider (a real one on this machine),
 * the first admin made from the command line, programs with API keys.
 */
const CLIENT_ID = "verbatim-office";
const WEBHOOK_KEY = randomBytes(32).toString("base64");
const LINES = ["One machine for the office", "started with npm start"];

const work = mkdtempSync(join(tmpdir(), "verbatim-start-"));
const state = join(work, "state");
const port = 21_000 + Math.floor(Math.random() * 500);
const url = `http://127.0.0.1:${port}`;
let idp: Awaited<ReturnType<typeof startOidcProvider>>;
let server: ChildProcess;
let browser: Browser | undefined;
const output: string[] = [];

const tsx = resolve("node_modules/.bin/tsx");
/** The settings an operator gives it, over a clean environment (nothing of the test runner's). */
const settings = (extra: Record<string, string> = {}) => ({
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "",
  PORT: String(port),
  RUNNER_PORT: String(port + 1000),
  VERBATIM_STATE_DIR: state,
  WEBHOOK_SECRETS_KEY: WEBHOOK_KEY,
  OIDC_ISSUER: idp.issuer,
  OIDC_CLIENT_ID: CLIENT_ID,
  ...extra,
});

beforeAll(async () => {
  idp = await startOidcProvider(CLIENT_ID, url);
  server = spawn(tsx, ["scripts/start.ts"], { env: settings(), stdio: ["ignore", "pipe", "pipe"] });
  for (const stream of [server.stdout, server.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => output.push(chunk));
  }
  try {
    await waitUntilReady(url, 240_000);
  } catch (err) {
    throw new Error(`${err}\n--- npm start said ---\n${output.join("").slice(-4000)}`);
  }
});

afterAll(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((done) => server.once("exit", done));
    server.kill("SIGTERM");
    await exited;
  }
  idp?.close();
  rmSync(work, { recursive: true, force: true });
});

const createKey = (email: string, admin: boolean) => {
  const args = ["scripts/keys-create.ts", "--email", email, ...(admin ? ["--admin"] : [])];
  const out = execFileSync(tsx, args, { encoding: "utf8", env: { ...process.env, VERBATIM_STATE_DIR: state } });
  return { authorization: `Bearer ${out.trim().split("\n").at(-1)}` };
};

describe("npm start: one machine for real use", () => {
  it("refuses to start with development-only settings, naming each", () => {
    const refused = spawnSync(tsx, ["scripts/start.ts"], {
      encoding: "utf8",
      env: settings({
        WEBHOOK_SECRETS_KEY: "ZGV2ZWxvcG1lbnQtb25seS13ZWJob29rLWtleS0zMmI=",
        WEBHOOK_ALLOW_PRIVATE: "true",
        RUNNER_INJECT_OCR_CRASHES: "3",
        FAULT_INJECTION: JSON.stringify({ duplicate_messages_of: "x.png" }),
        PORT: String(port + 1),
      }),
    });
    expect(refused.status).toBe(2);
    for (const name of [
      "WEBHOOK_SECRETS_KEY is the development key",
      "WEBHOOK_ALLOW_PRIVATE",
      "RUNNER_INJECT_OCR_CRASHES",
      "FAULT_INJECTION",
    ]) {
      expect(refused.stderr).toContain(name);
    }
    const { WEBHOOK_SECRETS_KEY: _, ...withoutKey } = settings({ PORT: String(port + 1) });
    const noKey = spawnSync(tsx, ["scripts/start.ts"], { encoding: "utf8", env: withoutKey });
    expect(noKey.status).toBe(2);
    expect(noKey.stderr).toContain("WEBHOOK_SECRETS_KEY is not set");
  });

  it("has no development issuer, and keeps its webhook key out of its output", async () => {
    const signIn = await fetch(`${url}/dev/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "anyone@example.test" }),
    });
    expect(signIn.status).toBe(404);
    expect((await fetch(`${url}/dev/jwks.json`)).status).toBe(404);
    expect(output.join("")).not.toContain(WEBHOOK_KEY);
  });

  it("makes its first admin from the command line; a user's key reads a page, an admin's administers", async () => {
    const admin = createKey("admin@office.test", true);
    const user = createKey("clerk@office.test", false);
    expect((await fetch(`${url}/v1/admin/alerts`, { headers: admin })).status).toBe(200);
    const forbidden = await fetch(`${url}/v1/admin/alerts`, { headers: user });
    expect(Problem.parse(await forbidden.json()).code).toBe("forbidden");

    const png = await new MediaFixtures(work).textImage("office.png", LINES);
    const form = new FormData();
    form.append("file", new File([readFileSync(png)], "office.png"));
    const submitted = await fetch(`${url}/v1/jobs`, { method: "POST", body: form, headers: user });
    expect(submitted.status).toBe(202);
    const { id } = JobResource.parse(await submitted.json());
    await expect
      .poll(
        async () => JobResource.parse(await (await fetch(`${url}/v1/jobs/${id}`, { headers: user })).json()).status,
        {
          timeout: STACK_WORK_MS,
        },
      )
      .toBe("succeeded");
    const text = await (await fetch(`${url}/v1/jobs/${id}/result?format=txt`, { headers: user })).text();
    expect(characterErrorRate(LINES.join("\n"), text)).toBeLessThan(0.05);
  });

  it("signs people in through the OpenID Connect provider, on its own origin", async () => {
    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/jobs`);
    await page.getByRole("button", { name: `Sign in with ${new URL(idp.issuer).host}` }).click();
    await idp.signIn(page, "clerk@office.test");
    await page.getByRole("heading", { name: "History" }).waitFor();
    // The same user the command line made: the job it submitted is in the list.
    await page.getByText("office.png").first().waitFor();
  });
});
