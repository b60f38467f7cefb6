import { execFileSync } from "node:child_process";
import { closeSync, openAsBlob, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createVerbatimClient } from "../../client";
import { benchWorkDir, createBenchKey, startBenchStack } from "./bench-stack";
import { printTable } from "./report";

/**
 * `npm run bench:upload-memory [-- --mb 1024]`: the API's memory while a large file is uploaded.
 * A WAV of that many MiB goes up in parts (POST /v1/uploads, as the CLI and the UI send large files)
 * and a 90 MiB one in one request (POST /v1/jobs); the resident memory of the API's processes
 * (wrangler and workerd, which runs the Worker) is sampled every 100 ms. Flat means the peak stays
 * near the idle figure whatever the file's size: the Worker streams bodies into R2, never holding a
 * whole file.
 */
const { values } = parseArgs({ options: { mb: { type: "string", default: "1024" } } });
const MB = Number(values.mb);
const MiB = 1024 * 1024;

/** A WAV header for `bytes` of 16 kHz mono samples, then silence (written sparsely, fast). */
function wavFile(path: string, bytes: number) {
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(Math.min(0xffffffff, bytes + 36), 4);
  header.write("WAVEfmt ", 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(16000, 24);
  header.writeUInt32LE(32000, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(bytes, 40);
  const fd = openSync(path, "w");
  writeSync(fd, header);
  writeSync(fd, Buffer.alloc(1), 0, 1, 44 + bytes - 1);
  closeSync(fd);
}

/** Resident memory (MiB) of a process and all its descendants: workerd's, and the rest (wrangler's Node). */
function treeRss(root: number): { workerd: number; other: number } {
  const table = execFileSync("ps", ["-e", "-o", "pid=,ppid=,rss=,comm="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => {
      const [pid, ppid, rss, comm] = line.trim().split(/\s+/);
      return [Number(pid), Number(ppid), Number(rss), comm ?? ""] as const;
    });
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of table) {
      if (inTree.has(ppid) && !inTree.has(pid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  const mine = table.filter(([pid]) => inTree.has(pid));
  const sum = (rows: typeof mine) => rows.reduce((n, [, , rss]) => n + rss, 0) / 1024;
  return { workerd: sum(mine.filter((r) => r[3] === "workerd")), other: sum(mine.filter((r) => r[3] !== "workerd")) };
}

const work = benchWorkDir("memory");
let stack: Awaited<ReturnType<typeof startBenchStack>> | null = null;
try {
  const key = createBenchKey();
  stack = await startBenchStack(29087);
  const apiPid = stack.api.pid as number;
  const client = createVerbatimClient({ baseUrl: stack.url, token: key });

  const measure = async (name: string, bytes: number, send: (file: Blob) => Promise<{ id: string }>) => {
    const path = join(work, "upload.wav");
    wavFile(path, bytes);
    const idle = treeRss(apiPid);
    const peak = { ...idle };
    const sampler = setInterval(() => {
      const now = treeRss(apiPid);
      peak.workerd = Math.max(peak.workerd, now.workerd);
      peak.other = Math.max(peak.other, now.other);
    }, 100);
    const started = performance.now();
    const job = await send(await openAsBlob(path));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    await client.api.POST("/v1/jobs/{id}/cancel", { params: { path: { id: job.id } } });
    rmSync(path);
    return {
      upload: name,
      "file (MiB)": Math.round(bytes / MiB),
      "MiB/s": (bytes / MiB / seconds).toFixed(0),
      "workerd idle → peak RSS (MiB)": `${idle.workerd.toFixed(0)} → ${peak.workerd.toFixed(0)}`,
      "wrangler (Node) idle → peak RSS (MiB)": `${idle.other.toFixed(0)} → ${peak.other.toFixed(0)}`,
      "growth / file": ((peak.workerd + peak.other - idle.workerd - idle.other) / (bytes / MiB)).toFixed(3),
    };
  };
  const rows = [
    await measure("one request (POST /v1/jobs)", 90 * MiB, (file) => client.submit(file, "direct.wav")),
    await measure("in parts (POST /v1/uploads)", MB * MiB, (file) => client.submitInParts(file, "large.wav")),
  ];
  printTable("Memory of the API (wrangler + workerd) while uploading", rows);
} finally {
  stack?.stop();
  rmSync(work, { recursive: true, force: true });
}
