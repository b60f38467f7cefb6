import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { decodeTime, ulid } from "ulid";
import type { Job } from "../../contracts";
import { wrangler } from "../local-stack";
import { benchWorkDir, createBenchKey, startBenchStack } from "./bench-stack";
import { percentiles, printTable } from "./report";

/**
 * `npm run bench:history [-- --jobs 100000 --requests 200]`: one user with that many jobs in a fresh
 * local stack, then the jobs list's first page, page 1,001 (20 per page), the same
 * deep page filtered by status, and the counts per status, each asked `requests` times over HTTP.
 * Prints latency percentiles and the deep/first ratio (the goal: within 1.5×).
 */
const { values } = parseArgs({
  options: { jobs: { type: "string", default: "100000" }, requests: { type: "string", default: "200" } },
});
const JOBS = Number(values.jobs);
const REQUESTS = Number(values.requests);
const STATUSES = ["succeeded", "succeeded", "succeeded", "failed", "canceled"] as const;

const work = benchWorkDir("history");
const port = 28787;
let stack: Awaited<ReturnType<typeof startBenchStack>> | null = null;
try {
  const sql = (value: string) => `'${value.replaceAll("'", "''")}'`;
  const email = "bench@example.test";
  const key = createBenchKey(email);

  // Jobs over the last 30 days, oldest first (ids are ULIDs of their creation time).
  console.log(`bench: writing ${JOBS} jobs`);
  const start = Date.now() - 30 * 86_400_000;
  const rows: string[] = [];
  for (let i = 0; i < JOBS; i++) {
    const at = start + Math.floor((i * 30 * 86_400_000) / JOBS);
    const id = `job_${ulid(at)}`;
    const iso = new Date(decodeTime(id.slice(4))).toISOString();
    const status = STATUSES[i % STATUSES.length] ?? "succeeded";
    const kind = i % 3 === 0 ? "av" : "ocr";
    const job: Omit<Job, "user_id"> & { user_id: string } = {
      id,
      user_id: "",
      kind,
      status,
      file: {
        name: `${kind === "av" ? "talk" : "scan"}-${i}.${kind === "av" ? "mp3" : "pdf"}`,
        size: 100_000 + i,
        mime: kind === "av" ? "audio/mpeg" : "application/pdf",
        sha256: "0".repeat(64),
        pages: kind === "ocr" ? 1 + (i % 20) : null,
        duration_s: kind === "av" ? 60 + (i % 600) : null,
      },
      options: { language: "eng", rotate_pages: true, deskew: true },
      progress: null,
      error: status === "failed" ? { code: "media_corrupt", message: "bench" } : null,
      attempts: 1,
      engine_seconds: 1,
      replays: 0,
      parts: null,
      request_id: `bench-${i}`,
      created_at: iso,
      updated_at: iso,
      started_at: iso,
      finished_at: iso,
    };
    rows.push(
      `((SELECT id FROM users WHERE email = ${sql(email)}), ${sql(id)}, ${sql(kind)}, ${sql(status)}, ${sql(job.file.name)}, ${job.file.size}, ${sql(job.file.mime)}, ${sql(job.file.sha256)}, ${job.file.pages ?? "NULL"}, ${job.file.duration_s ?? "NULL"}, ${job.error ? sql(job.error.code) : "NULL"}, ${sql(iso)}, ${sql(iso)}, ${sql(JSON.stringify(job))})`,
    );
  }
  const statements: string[] = [];
  // D1 takes statements up to 100 KB: about 80 rows each.
  for (let i = 0; i < rows.length; i += 80) {
    statements.push(
      `INSERT INTO jobs (user_id, id, kind, status, file_name, file_size, file_mime, file_sha256, pages, duration_s, error_code, created_at, updated_at, snapshot) VALUES ${rows.slice(i, i + 80).join(",\n")};`,
    );
  }
  // The snapshots name the user by id: fill it in once the rows exist.
  statements.push(
    `UPDATE jobs SET snapshot = json_set(snapshot, '$.user_id', user_id) WHERE user_id = (SELECT id FROM users WHERE email = ${sql(email)});`,
  );
  const file = join(work, "jobs.sql");
  writeFileSync(file, statements.join("\n"));
  const written = Date.now();
  wrangler(["d1", "execute", "DB", "--local", "--file", file, "--yes"]);
  console.log(`bench: written in ${((Date.now() - written) / 1000).toFixed(1)} s`);

  stack = await startBenchStack(port);
  const auth = { authorization: `Bearer ${key}` };
  const get = async (path: string) => {
    const res = await fetch(`${stack?.url}${path}`, { headers: auth });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<{ data?: { id: string }[]; next_cursor?: string | null }>;
  };

  // The cursor of page 1,001 of 20 (or as deep as the jobs go): walked to 100 at a time, as a client could.
  const walks = Math.min(200, Math.floor(JOBS / 100) - 1);
  const deepPage = walks * 5 + 1;
  let cursor: string | null | undefined;
  for (let walked = 0; walked < walks; walked++) {
    cursor = (await get(`/v1/jobs?limit=100${cursor ? `&cursor=${cursor}` : ""}`)).next_cursor;
  }
  const deep = `/v1/jobs?limit=20&cursor=${cursor}`;
  const cases = {
    "first page": "/v1/jobs?limit=20",
    [`page ${deepPage}`]: deep,
    [`page ${deepPage}, status=failed`]: `${deep}&status=failed`,
    "counts per status": "/v1/jobs/counts",
  };
  const timings: Record<string, number[]> = {};
  for (const [name, path] of Object.entries(cases)) {
    await get(path); // warm
    timings[name] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t = performance.now();
      await get(path);
      timings[name].push(performance.now() - t);
    }
  }
  const rowsOut = Object.entries(timings).map(([name, ms]) => ({ name, ...percentiles(ms) }));
  printTable(`GET /v1/jobs with ${JOBS} jobs for one user, ${REQUESTS} requests each (ms)`, rowsOut);
  const first = percentiles(timings["first page"] ?? []).p50;
  const deepP50 = percentiles(timings[`page ${deepPage}`] ?? []).p50;
  console.log(`\ndeep / first (p50): ${(deepP50 / first).toFixed(2)}× (goal: ≤ 1.5×)`);
} finally {
  stack?.stop();
  rmSync(work, { recursive: true, force: true });
}
