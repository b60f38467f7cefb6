import { execFileSync, spawn } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { Supervisor } from "./supervisor";

/**
 * Real processes: a small HTTP server in its own process group that answers /healthz, and hangs
 * (a busy loop, its event loop blocked) on SIGUSR2.
 */
const SERVER = `
const http = require("node:http");
const server = http.createServer((req, res) => res.end("ok"));
server.listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGUSR2", () => { for (;;) {} });
`;
let port = 19_500 + Math.floor(Math.random() * 400);
const running: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop(500)));
});

function supervised(script: string, overrides: Partial<ConstructorParameters<typeof Supervisor>[0]> = {}) {
  const at = port++;
  const lines: string[] = [];
  const gaveUp: string[] = [];
  const supervisor = new Supervisor({
    name: "probe",
    spawn: () =>
      spawn(process.execPath, ["-e", script], {
        env: { ...process.env, PORT: String(at) },
        stdio: "ignore",
        detached: true,
      }),
    healthUrl: `http://127.0.0.1:${at}/healthz`,
    log: (line) => lines.push(line),
    onGiveUp: (reason) => gaveUp.push(reason),
    probeEveryMs: 100,
    probeTimeoutMs: 300,
    failuresBeforeRestart: 2,
    restartDelayMs: 100,
    ...overrides,
  });
  running.push(supervisor);
  const answers = () =>
    fetch(`http://127.0.0.1:${at}/healthz`, { signal: AbortSignal.timeout(300) })
      .then((res) => res.ok)
      .catch(() => false);
  return { supervisor, lines, gaveUp, answers };
}

describe("Supervisor", () => {
  it("starts a process killed with SIGKILL again, and says so", async () => {
    const { supervisor, lines, answers } = supervised(SERVER);
    supervisor.start();
    await expect.poll(answers, { timeout: 10_000 }).toBe(true);
    const first = supervisor.child?.pid;
    supervisor.child?.kill("SIGKILL");
    await expect.poll(() => supervisor.child?.pid !== first && answers(), { timeout: 10_000 }).toBe(true);
    expect(lines).toEqual(["[supervisor] probe exited unexpectedly (SIGKILL); starting it again in 0.1 s"]);
  });

  it("kills a process that stops answering and starts it again", async () => {
    const { supervisor, lines, answers } = supervised(SERVER);
    supervisor.start();
    await expect.poll(answers, { timeout: 10_000 }).toBe(true);
    // Probes must have seen it answer before a silence counts.
    await new Promise((r) => setTimeout(r, 300));
    const first = supervisor.child?.pid;
    supervisor.child?.kill("SIGUSR2");
    await expect.poll(() => supervisor.child?.pid !== first && answers(), { timeout: 10_000 }).toBe(true);
    expect(lines[0]).toMatch(/^\[supervisor\] probe has not answered http:\/\/127\.0\.0\.1:\d+\/healthz 2 times/);
    expect(lines[1]).toBe("[supervisor] probe exited unexpectedly (SIGKILL); starting it again in 0.1 s");
  });

  it("gives up on a process that keeps dying", async () => {
    const { supervisor, gaveUp, lines } = supervised("process.exit(3)", { maxRestarts: 2 });
    supervisor.start();
    await expect.poll(() => gaveUp.length, { timeout: 10_000 }).toBe(1);
    expect(gaveUp[0]).toMatch(/^probe exited unexpectedly \(code 3\), the 3th time within 120 s$/);
    expect(lines.filter((l) => l.includes("starting it again"))).toHaveLength(2);
  });

  it("does not start again a process stopped on purpose, nor anything it started", async () => {
    // The server starts a child of its own in the same group, as wrangler starts workerd.
    const parent = `${SERVER}; require("node:child_process").spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });`;
    const { supervisor, lines, answers } = supervised(parent);
    supervisor.start();
    await expect.poll(answers, { timeout: 10_000 }).toBe(true);
    const group = supervisor.child?.pid as number;
    await supervisor.stop(500);
    await new Promise((r) => setTimeout(r, 500));
    expect(await answers()).toBe(false);
    expect(lines).toEqual([]);
    // No process of its group is left (but zombies, dead and waiting for init to reap them).
    const left = execFileSync("ps", ["-eo", "pgid=,stat="], { encoding: "utf8" })
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([pgid, stat]) => Number(pgid) === group && !stat?.startsWith("Z"));
    expect(left).toEqual([]);
  });
});
