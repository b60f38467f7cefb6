import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import autocannon from "autocannon";
import { ulid } from "ulid";
import { createVerbatimClient } from "../../client";
import { LETTER } from "../../test/support/media-fixtures";
import { newApiKey } from "../../worker/lib/api-key";
import { wrangler } from "../local-stack";
import { benchWorkDir, startBenchStack } from "./bench-stack";
import { lineChart } from "./chart";
import { percentiles, printTable } from "./report";

/**
 * `npm run bench:load [-- --users 5,10,50,100 --seconds 30 --page note|full --engine-nice 10]`, the
 * load baseline (PRS-021), against a fresh local stack. For each number of simulated users, each its
 * own account and API key:
 *  1. a scenario for `seconds`: every user in a loop uploads a page (`note`: a small image of one
 *     line, about a second of OCR; `full`: a 300-dpi A4 scan, 3.2 MB of PNG), follows its job over
 *     its WebSocket (ticket, socket) to the end, then lists its history and reads the job; afterwards
 *     every created job must be found exactly once, finished (no lost or duplicated jobs);
 *  2. autocannon on `GET /v1/jobs` with as many connections as users, for 10 s.
 * Prints latency percentiles per request type, jobs per minute and 5xx counts. With several
 * `--engine-nice` values (e.g. `0,10`), the whole run is repeated on a fresh stack whose runner starts
 * its engines at each niceness, so the API's latency with engines at the API's own priority and
 * below it are measured on the same machine in one run. Before the scenario, the opening burst with no
 * engine running: each of the most users sends a page at once, the runner stopped (their latency, and
 * the API processes' CPU time per MB uploaded), then the CPU per MB through the job's end (10 pages
 * one after another, each followed to its end).
 * Writes a chart of throughput against users to docs/performance/load.svg (`note` pages only).
 */
const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    users: { type: "string", default: "5,10,50,100" },
    seconds: { type: "string", default: "30" },
    page: { type: "string", default: "note" },
    "engine-nice": { type: "string", default: "" },
  },
});
const LEVELS = values.users.split(",").map(Number);
const SECONDS = Number(values.seconds);
const MAX_USERS = Math.max(...LEVELS);
const FULL_PAGE = values.page === "full";
/** Nicenesses to compare; empty: the runner's default only. */
const NICE = values["engine-nice"] ? values["engine-nice"].split(",").map(Number) : [null];

const API_PORT = 29187;
/** The API's processes: the Worker's workerd (one thread: the Worker, its Durable Objects, the local R2, D1 and Queues), wrangler's proxy (another workerd) and wrangler's Node process. */
type ApiProcess = "worker" | "proxy" | "node";
const API_PROCESSES: ApiProcess[] = ["worker", "proxy", "node"];
const work = benchWorkDir("load");
let stack: Awaited<ReturnType<typeof startBenchStack>> | null = null;
try {
  // A small page of text (a real OCR job of about a second), or a whole scanned page.
  const image = join(work, FULL_PAGE ? "page.png" : "note.png");
  await run(
    "convert",
    FULL_PAGE
      ? [
          ...["-size", "2480x3508", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "42", "-fill", "black"],
          ...LETTER.concat(LETTER).flatMap((line, i) => ["-annotate", `+220+${300 + i * 120}`, line]),
          ...["-colorspace", "Gray", "-attenuate", "0.1", "+noise", "Gaussian", "-depth", "8", image],
        ]
      : [
          ...["-size", "800x160", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "32", "-fill", "black"],
          ...["-annotate", "+30+90", "Load test note number 42", image],
        ],
  );
  const note = new Blob([readFileSync(image)]);
  const pageName = FULL_PAGE ? "page.png" : "note.png";
  console.log(`bench: the page is ${(note.size / 1e6).toFixed(1)} MB`);

  const keys: string[] = [];
  const statements: string[] = [];
  const now = new Date().toISOString();
  for (let i = 0; i < MAX_USERS; i++) {
    const user = `usr_${ulid()}`;
    const { key, hash, prefix } = await newApiKey();
    keys.push(key);
    statements.push(
      `INSERT INTO users (id, email, role, created_at) VALUES ('${user}', 'load-${i}@example.test', 'user', '${now}');`,
      `INSERT INTO api_keys (id, user_id, key_hash, prefix, name, created_at) VALUES ('key_${ulid()}', '${user}', '${hash}', '${prefix}', 'load', '${now}');`,
    );
  }
  writeFileSync(join(work, "users.sql"), statements.join("\n"));
  wrangler(["d1", "execute", "DB", "--local", "--file", join(work, "users.sql"), "--yes"]);

  const summary: { nice: string; users: number; jobsPerMinute: number; listPerSecond: number }[] = [];
  const latencies: Record<string, string | number>[] = [];
  for (const nice of NICE) {
    const niceName = nice === null ? "default" : String(nice);
    stack = await startBenchStack(API_PORT, () => {}, {}, nice === null ? {} : { ENGINE_NICE: String(nice) });
    const url = stack.url;
    const clients = keys.map((token) => createVerbatimClient({ baseUrl: url, token }));

    // The API's own CPU per MB uploaded: its processes' time (wrangler's and workerd's), for the upload
    // alone (a page sent at once by each of the most users of the run, the runner stopped so no job
    // gets past its first delivery, which finds the runner down: the scenario's opening burst with no
    // engine running), then through each job's end (10 pages one after another, each followed to its end).
    const apiGroup = stack.api.child?.pid ?? 0;
    const burst = clients.length;
    const megabytes = (burst * note.size) / 1e6;
    const jobMegabytes = (10 * note.size) / 1e6;
    const cpu = () => groupCpuSeconds(apiGroup, API_PORT);
    /** ms of CPU per MB since `from`: in all, and by process. */
    const perMb = (from: ReturnType<typeof cpu>, mb: number) => {
      const now = cpu();
      const ms = (key: "total" | ApiProcess) => (((now[key] - from[key]) / mb) * 1000).toFixed(0);
      return `${ms("total")} ms (${API_PROCESSES.map((p) => `${p} ${ms(p)}`).join(", ")})`;
    };
    await stack.stopRunner();
    let before = cpu();
    const uploads = await Promise.all(
      clients.map(async (client) => {
        const t = performance.now();
        const job = await client.submit(note, pageName);
        return { client, id: job.id, ms: performance.now() - t };
      }),
    );
    const uploadCpu = perMb(before, megabytes);
    stack.startRunner();
    for (const { client, id } of uploads) await client.follow(id);
    before = cpu();
    for (let i = 0; i < 10; i++) await clients[0]?.follow((await clients[0].submit(note, pageName)).id);
    const jobCpu = perMb(before, jobMegabytes);
    const alone = percentiles(uploads.map((u) => u.ms));
    console.log(
      `bench: engines at niceness ${niceName}; API CPU per MB: ${uploadCpu} for the upload alone, ${jobCpu} through the job's end; ${burst} uploads at once, no engine running: p50 ${alone.p50.toFixed(0)} ms, p95 ${alone.p95.toFixed(0)} ms`,
    );

    for (const users of LEVELS) {
      console.log(`bench: ${users} users, ${SECONDS} s, engines at niceness ${niceName}`);
      const timings: Record<string, number[]> = {
        "POST /v1/jobs": [],
        // The same requests without each user's first: the users start together, so their first
        // uploads arrive at once; what follows is uploads spread over the run, among running jobs.
        "POST /v1/jobs, after each user's first": [],
        "job followed to the end": [],
        "GET /v1/jobs": [],
        "GET /v1/jobs/{id}": [],
      };
      const statuses = new Map<number, number>();
      const created: { user: number; id: string }[] = [];
      let finished = 0;
      const timed = async <T>(names: string | string[], fn: () => Promise<T>): Promise<T> => {
        const t = performance.now();
        try {
          return await fn();
        } finally {
          for (const name of [names].flat()) timings[name]?.push(performance.now() - t);
        }
      };
      const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const deadline = Date.now() + SECONDS * 1000;
      const started = Date.now();
      await Promise.all(
        clients.slice(0, users).map(async (client, user) => {
          for (let round = 0; Date.now() < deadline; round++) {
            try {
              const job = await timed(
                round === 0 ? "POST /v1/jobs" : ["POST /v1/jobs", "POST /v1/jobs, after each user's first"],
                () => client.submit(note, pageName),
              );
              count(202);
              created.push({ user, id: job.id });
              const done = await timed("job followed to the end", () => client.follow(job.id));
              if (done.status === "succeeded" || done.status === "failed" || done.status === "canceled") finished++;
              const list = await timed("GET /v1/jobs", () =>
                client.api.GET("/v1/jobs", { params: { query: { limit: 20 } } }),
              );
              count(list.response.status);
              const one = await timed("GET /v1/jobs/{id}", () =>
                client.api.GET("/v1/jobs/{id}", { params: { path: { id: job.id } } }),
              );
              count(one.response.status);
            } catch (err) {
              const status = (err as { problem?: { status?: number } }).problem?.status ?? 0;
              count(status);
              if (status === 0 || status >= 500) console.error(`bench: ${String(err)}`);
            }
          }
        }),
      );
      const elapsedMin = (Date.now() - started) / 60_000;

      // Every created job exactly once in its owner's history, and finished.
      let lost = 0;
      let duplicated = 0;
      let unfinished = 0;
      for (let user = 0; user < users; user++) {
        const mine = new Set(created.filter((c) => c.user === user).map((c) => c.id));
        const seen = new Map<string, number>();
        let cursor: string | undefined;
        do {
          const { data } = await (clients[user] as (typeof clients)[number]).api.GET("/v1/jobs", {
            params: { query: { limit: 100, cursor } },
          });
          for (const job of data?.data ?? []) {
            seen.set(job.id, (seen.get(job.id) ?? 0) + 1);
            if (mine.has(job.id) && !["succeeded", "failed", "canceled"].includes(job.status)) unfinished++;
          }
          cursor = data?.next_cursor ?? undefined;
        } while (cursor);
        for (const id of mine) if (!seen.has(id)) lost++;
        for (const n of seen.values()) if (n > 1) duplicated++;
      }

      // The list endpoint alone, with autocannon, as many connections as users (keys in turn).
      let nextKey = 0;
      const cannon = await autocannon({
        url: `${url}/v1/jobs?limit=20`,
        connections: users,
        duration: 10,
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              headers: { ...request.headers, authorization: `Bearer ${keys[nextKey++ % users]}` },
            }),
          },
        ],
      });

      const fiveXx = [...statuses].filter(([s]) => s >= 500 || s === 0).reduce((n, [, c]) => n + c, 0) + cannon["5xx"];
      for (const [step, ms] of Object.entries(timings)) {
        const { p50, p95, p99 } = percentiles(ms);
        latencies.push({ nice: niceName, users, step, p50, p95, p99 });
      }
      printTable(`${users} users for ${SECONDS} s, engines at niceness ${niceName}: latency per step (ms)`, [
        ...Object.entries(timings).map(([step, ms]) => ({ step, ...percentiles(ms) })),
        {
          step: "GET /v1/jobs (autocannon, 10 s)",
          n: cannon.requests.total,
          p50: cannon.latency.p50,
          p95: cannon.latency.p97_5,
          p99: cannon.latency.p99,
        },
      ]);
      const jobsPerMinute = Math.round(finished / elapsedMin);
      console.log(
        `jobs finished: ${finished} (${jobsPerMinute}/min); lost ${lost}, duplicated ${duplicated}, unfinished ${unfinished}; 5xx or network errors: ${fiveXx}; autocannon: ${Math.round(cannon.requests.average)} req/s, non-2xx ${cannon.non2xx}  (the autocannon p95 column is its p97.5)`,
      );
      summary.push({ nice: niceName, users, jobsPerMinute, listPerSecond: Math.round(cannon.requests.average) });
      // Errors, lost or duplicated jobs fail the run (exit code 1), whatever the speed.
      if (fiveXx + lost + duplicated + unfinished > 0) process.exitCode = 1;
    }
    await stack.stop();
    stack = null;
  }

  if (NICE.length > 1) printTable("Latency per request type (ms), by the engines' niceness", latencies);

  printTable(
    "Throughput against users",
    summary.map((s) => ({
      "engine nice": s.nice,
      users: s.users,
      "jobs / min": s.jobsPerMinute,
      "GET /v1/jobs req/s": s.listPerSecond,
    })),
  );
  // The chart is of the small-page scenario at the default priority.
  if (!FULL_PAGE && NICE.length === 1) {
    mkdirSync("docs/performance", { recursive: true });
    writeFileSync(
      "docs/performance/load.svg",
      lineChart({
        title: "Throughput against simulated users (npm run bench:load)",
        xLabel: "simulated users",
        yLabel: "per minute / per second",
        series: [
          { name: "jobs finished / min", points: summary.map((s) => ({ x: s.users, y: s.jobsPerMinute })) },
          { name: "GET /v1/jobs req/s", points: summary.map((s) => ({ x: s.users, y: s.listPerSecond })) },
        ],
      }),
    );
    console.log("\nwrote docs/performance/load.svg");
  }
} finally {
  stack?.stop();
  rmSync(work, { recursive: true, force: true });
}

/** CPU seconds (user and system) used so far by the processes of a process group, from /proc, in all and by process. */
function groupCpuSeconds(group: number, apiPort: number): { total: number } & Record<ApiProcess, number> {
  const seconds = { total: 0, worker: 0, proxy: 0, node: 0 };
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      // Fields after the command's closing parenthesis: state, ppid, pgrp, …; utime and stime are the 12th and 13th.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ").at(-1)?.split(" ") ?? [];
      if (Number(fields[2]) !== group) continue;
      const used = (Number(fields[11]) + Number(fields[12])) / 100;
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      // wrangler's proxy listens on the API's port; the Worker's workerd on a port of its own.
      const kind = command.includes("workerd") ? (command.includes(`:${apiPort}\0`) ? "proxy" : "worker") : "node";
      seconds.total += used;
      seconds[kind] += used;
    } catch {
      // the process ended meanwhile
    }
  }
  return seconds;
}
