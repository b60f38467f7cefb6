import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { closeSync, openAsBlob, openSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { createVerbatimClient } from "../../client";
import { benchWorkDir, createBenchKey, startBenchStack } from "./bench-stack";
import { printTable } from "./report";

/**
 * `npm run bench:upload-memory [-- --mb 1024 --direct-mb 90]`: the API's memory while a large file
 * is uploaded. A WAV goes up in one request (POST /v1/jobs) at `--direct-mb` and at four times that
 * (the stack's MAX_UPLOAD_BYTES raised for it), then one of `--mb` in parts (POST /v1/uploads, as the
 * CLI and the UI send large files), each on a fresh stack. The resident memory of the API's
 * processes (wrangler, and workerd, which runs the Worker and the local R2 simulator) is sampled
 * every 100 ms; the Worker isolate's own live memory (heap and buffers after a full collection,
 * through the inspector) every 2 s. Flat means the growth does not follow the file's size: the Worker streams bodies
 * into R2, never holding a whole file.
 */
const { values } = parseArgs({
  options: { mb: { type: "string", default: "1024" }, "direct-mb": { type: "string", default: "90" } },
});
const MB = Number(values.mb);
const DIRECT_MB = Number(values["direct-mb"]);
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

/**
 * The Worker's own memory, apart from the local simulators that share its workerd process: what its
 * isolate holds alive (V8's heap plus ArrayBuffer backing stores, after a full collection), read over
 * wrangler dev's inspector (Chrome DevTools Protocol).
 */
async function workerHeap(url = "ws://127.0.0.1:9229/ws") {
  const socket = new WebSocket(url);
  await once(socket, "open");
  let nextId = 1;
  const waiting = new Map<number, (result: Record<string, number>) => void>();
  socket.on("message", (data) => {
    const text = String(data);
    if (!text.startsWith('{"id"')) return; // events, e.g. a snapshot's chunks
    const message = JSON.parse(text) as { id: number; result?: Record<string, number> };
    waiting.get(message.id)?.(message.result ?? {});
  });
  const call = async (method: string) => {
    const id = nextId++;
    const result = await new Promise<Record<string, number>>((resolve) => {
      waiting.set(id, resolve);
      socket.send(JSON.stringify({ id, method }));
    });
    waiting.delete(id);
    return result;
  };
  return {
    /**
     * What the isolate holds alive now: a heap snapshot first (it starts with a full garbage
     * collection, which workerd's inspector offers no other way), then its heap and buffers.
     */
    async liveMib(): Promise<number> {
      await call("HeapProfiler.takeHeapSnapshot");
      const usage = await call("Runtime.getHeapUsage");
      return ((usage.usedSize ?? 0) + (usage.backingStorageSize ?? 0)) / MiB;
    },
    close: () => socket.close(),
  };
}

const work = benchWorkDir("memory");
const key = createBenchKey();

/** Uploads a WAV of `bytes` on a fresh stack and reports the memory of its API processes meanwhile. */
async function measure(name: string, bytes: number, inParts: boolean) {
  const stack = await startBenchStack(29087, () => {}, { MAX_UPLOAD_BYTES: String(4 * DIRECT_MB * MiB + MiB) });
  try {
    const apiPid = stack.api.child?.pid as number;
    const client = createVerbatimClient({ baseUrl: stack.url, token: key });
    const path = join(work, "upload.wav");
    wavFile(path, bytes);
    const heap = await workerHeap();
    const idle = { ...treeRss(apiPid), worker: await heap.liveMib() };
    const peak = { ...idle };
    const sampler = setInterval(() => {
      const now = treeRss(apiPid);
      peak.workerd = Math.max(peak.workerd, now.workerd);
      peak.other = Math.max(peak.other, now.other);
    }, 100);
    // The Worker's live memory every 2 s while the file goes up (one snapshot at a time).
    let uploading = true;
    const liveSampler = (async () => {
      while (uploading) {
        await new Promise((resolve) => setTimeout(resolve, 2000));
        if (uploading) peak.worker = Math.max(peak.worker, await heap.liveMib());
      }
    })();
    const started = performance.now();
    const file = await openAsBlob(path);
    const job = await (inParts ? client.submitInParts(file, "large.wav") : client.submit(file, "direct.wav"));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    uploading = false;
    await liveSampler;
    heap.close();
    await client.api.POST("/v1/jobs/{id}/cancel", { params: { path: { id: job.id } } });
    rmSync(path);
    const growth = peak.workerd + peak.other - idle.workerd - idle.other;
    return {
      upload: name,
      "file (MiB)": Math.round(bytes / MiB),
      "MiB/s": (bytes / MiB / seconds).toFixed(0),
      "Worker live heap + buffers idle → max (MiB)": `${idle.worker.toFixed(0)} → ${peak.worker.toFixed(0)}`,
      "workerd idle → peak RSS (MiB)": `${idle.workerd.toFixed(0)} → ${peak.workerd.toFixed(0)}`,
      "wrangler (Node) idle → peak RSS (MiB)": `${idle.other.toFixed(0)} → ${peak.other.toFixed(0)}`,
      "growth (MiB)": growth.toFixed(0),
      "growth / file": (growth / (bytes / MiB)).toFixed(3),
    };
  } finally {
    await stack.stop();
  }
}

try {
  const rows = [
    await measure("one request (POST /v1/jobs)", DIRECT_MB * MiB, false),
    await measure("one request (POST /v1/jobs)", 4 * DIRECT_MB * MiB, false),
    await measure("in parts (POST /v1/uploads)", MB * MiB, true),
  ];
  printTable("Memory of the API (wrangler + workerd) while uploading, each on a fresh stack", rows);
} finally {
  rmSync(work, { recursive: true, force: true });
}
