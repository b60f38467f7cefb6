import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect } from "vitest";
import WebSocket from "ws";
import {
  canTransition,
  isTerminal,
  type JobEvent,
  JobEvent as JobEventSchema,
  JobResource,
  LogRecord,
} from "../../contracts";
import { applyMigrations, type StackOptions, startStack, waitUntilReady } from "../../scripts/local-stack";
import { MediaFixtures } from "../support/media-fixtures";

/**
 * How long a test waits for the stack to do one small piece of work (a one-page job, a webhook
 * delivery, an alert, a restarted runner). Seconds on an idle machine; with the suite's other
 * projects and two CPU-bound processes beside it (load about 6 on 2 cores) a one-page job has taken
 * over 20 s. Waits end as soon as the work is seen, so this only bounds how long a real failure takes.
 */
export const STACK_WORK_MS = 60_000;

/**
 * The whole platform as `npm run dev` starts it (media runner + wrangler dev with local D1, R2,
 * Queues and Durable Objects) in a fresh state directory, and a client that drives it over HTTP and
 * WebSocket as a user would.
 */
export async function startE2eStack(options: Pick<StackOptions, "vars" | "runnerEnv"> = {}) {
  const work = mkdtempSync(join(tmpdir(), "verbatim-e2e-"));
  process.env.VERBATIM_STATE_DIR = join(work, "state");
  const apiPort = 18787 + Math.floor(Math.random() * 500);
  const runnerPort = apiPort + 1000;
  const logs: string[] = [];
  applyMigrations();
  const stack = startStack({ apiPort, runnerPort, log: (line) => logs.push(line), ...options });
  try {
    await waitUntilReady(stack.url, 180_000);
  } catch (err) {
    await stack.stop();
    rmSync(work, { recursive: true, force: true });
    throw new Error(`${String(err)}\n--- stack output ---\n${logs.slice(-40).join("\n")}`);
  }
  /** A new API key through `npm run keys:create`, which prints it alone on its last line. */
  const createKey = (email: string, admin = false) => {
    const args = ["scripts/keys-create.ts", "--email", email, ...(admin ? ["--admin"] : [])];
    const out = execFileSync(resolve("node_modules/.bin/tsx"), args, { encoding: "utf8" });
    const created = out.trim().split("\n").at(-1) ?? "";
    expect(created).toMatch(/^vb_/);
    return created;
  };
  const key = createKey("e2e@example.test");
  const auth = { authorization: `Bearer ${key}` };

  /**
   * fetch() of a path of the API, sent once more when the connection closes before any answer
   * (undici's UND_ERR_SOCKET, "other side closed"). That is a limit of the local simulator, not of
   * the API: wrangler dev's ProxyWorker forwards each request to the worker over a connection of its
   * own and sends GET and HEAD again itself when that connection drops, but no other method
   * (node_modules/wrangler/wrangler-dist/ProxyWorker.js). Seen once, on a POST in the webhooks tests
   * with the machine at load 6. An answer, even a 5xx, is never retried.
   */
  const call = async (path: string, init: RequestInit = {}): Promise<Response> => {
    try {
      return await fetch(`${stack.url}${path}`, init);
    } catch (err) {
      if ((err as { cause?: { code?: string } }).cause?.code !== "UND_ERR_SOCKET") throw err;
      return fetch(`${stack.url}${path}`, init);
    }
  };

  /** POST /v1/jobs with the file at `file`, named `name`, and the job's `options` if any. */
  const submit = (file: string, name: string, options?: object): Promise<Response> => {
    const form = new FormData();
    form.append("file", new File([readFileSync(file)], name));
    if (options) form.append("options", JSON.stringify(options));
    return call("/v1/jobs", { method: "POST", body: form, headers: auth });
  };

  /**
   * Follows a job over its WebSocket until the server closes it after the terminal event. The close
   * frame is what counts: the local dev proxy holds the TCP connection open for a while afterwards.
   */
  const follow = (jobId: string, onEvent: (event: JobEvent) => void = () => {}): Promise<JobEvent[]> =>
    new Promise((resolvePromise, reject) => {
      const events: JobEvent[] = [];
      const ws = new WebSocket(`${stack.url.replace("http", "ws")}/v1/jobs/${jobId}/events`, { headers: auth });
      const timer = setInterval(() => {
        if (ws.readyState === WebSocket.CLOSING || ws.readyState === WebSocket.CLOSED) {
          clearInterval(timer);
          ws.terminate();
          resolvePromise(events);
        }
      }, 50);
      ws.on("message", (data) => {
        const event = JobEventSchema.parse(JSON.parse(String(data)));
        events.push(event);
        onEvent(event);
      });
      ws.on("error", (err) => {
        clearInterval(timer);
        reject(err);
      });
    });

  /** The job as its owner sees it (the stack's default user unless `as` says otherwise). */
  const getJobAs = async (jobId: string, as: Record<string, string>) =>
    JobResource.parse(await (await call(`/v1/jobs/${jobId}`, { headers: as })).json());
  const getJob = (jobId: string) => getJobAs(jobId, auth);

  const result = async (jobId: string, format: string): Promise<Response> => {
    const res = await call(`/v1/jobs/${jobId}/result?format=${format}`, { headers: auth });
    expect(res.status, `${format}: ${res.status}`).toBe(200);
    return res;
  };

  /** Submits, follows to the end, and checks the transitions arrived in a legal order. */
  const runToEnd = async (
    file: string,
    name: string,
    onEvent?: (event: JobEvent, jobId: string) => void,
    options?: object,
  ) => {
    const res = await submit(file, name, options);
    expect(res.status, await res.clone().text()).toBe(202);
    const job = JobResource.parse(await res.json());
    const events = await follow(job.id, (event) => onEvent?.(event, job.id));
    expect(events[0]?.type).toBe("snapshot");
    const statuses = events.map((e) => e.job.status);
    statuses.forEach((status, i) => {
      const before = statuses[i - 1];
      if (before && before !== status) expect(canTransition(before, status), statuses.join(" → ")).toBe(true);
    });
    // The socket closes once the job ended; if it closed before, the stack's last words say why.
    const context = `${statuses.join(" → ")}\n--- stack output ---\n${logs.slice(-40).join("\n")}`;
    expect(isTerminal(statuses.at(-1) ?? "queued"), context).toBe(true);
    return { job: await getJob(job.id), events };
  };

  /** The structured log lines (any service) that mention `text`, e.g. a job id or a request id. */
  const records = (text: string): LogRecord[] =>
    logs
      .map((line) => line.slice(line.indexOf("{")))
      .filter((line) => line.includes(text))
      .flatMap((line) => {
        try {
          return [LogRecord.parse(JSON.parse(line))];
        } catch {
          return [];
        }
      });

  return {
    url: stack.url,
    call,
    runnerUrl: `http://127.0.0.1:${runnerPort}`,
    auth,
    key,
    createKey,
    work,
    fixtures: new MediaFixtures(work),
    logs,
    records,
    submit,
    follow,
    getJob,
    getJobAs,
    result,
    runToEnd,
    crashRunner: stack.crashRunner,
    stopRunner: stack.stopRunner,
    startRunner: stack.startRunner,
    /** The API's supervised process (wrangler dev), for drills. */
    api: stack.api,
    stop: async () => {
      await stack.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export type E2eStack = Awaited<ReturnType<typeof startE2eStack>>;
