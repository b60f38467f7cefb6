import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { createVerbatimClient, type Job } from "./index";

/**
 * The client's follow() against a small server of the API's shape (ticket, job, event socket) that
 * misbehaves as networks do: the client must still come back with the ended job.
 */
const jobIn = (status: string) => ({ id: "job_1", status }) as unknown as Job;
let server: Server | undefined;
afterEach(() => server?.close());

/**
 * follow() waits its real back-off between tries (0.5 s doubling): the tests below wait up to 3 s
 * of it in all, so their timeout is that wait with room for a busy machine, not the 5 s default.
 */
const BACKOFF_TIMEOUT = { timeout: 30_000 };

/** `status` gives the job's status, or an HTTP status code the job route answers with instead. */
async function serve(options: {
  status: () => string | number;
  onSocket: (ws: import("ws").WebSocket, n: number) => void;
}) {
  const app = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.method === "POST" && req.url === "/v1/jobs/job_1/events/ticket") {
      res.end(JSON.stringify({ ticket: "t", expires_at: "", url: "/v1/jobs/job_1/events?ticket=t" }));
    } else if (req.url === "/v1/jobs/job_1") {
      const status = options.status();
      if (typeof status === "number") {
        const code = status === 404 ? "not_found" : "internal_error";
        res.writeHead(status).end(JSON.stringify({ code, title: "", status, request_id: "r" }));
      } else res.end(JSON.stringify(jobIn(status)));
    } else res.writeHead(404).end("{}");
  });
  let sockets = 0;
  new WebSocketServer({ server: app }).on("connection", (ws) => options.onSocket(ws, ++sockets));
  server = app;
  await new Promise<void>((resolve) => app.listen(0, "127.0.0.1", resolve));
  const { port } = app.address() as AddressInfo;
  return createVerbatimClient({ baseUrl: `http://127.0.0.1:${port}`, token: "vb_test" });
}

it("listens again when the event socket drops before the job ended", BACKOFF_TIMEOUT, async () => {
  const client = await serve({
    status: () => "processing",
    onSocket: (ws, n) => {
      ws.send(JSON.stringify({ seq: n, type: "snapshot", job: jobIn("processing") }));
      if (n === 1)
        ws.terminate(); // dropped mid-job
      else {
        ws.send(JSON.stringify({ seq: n + 1, type: "status", job: jobIn("succeeded") }));
        ws.close(1000);
      }
    },
  });
  const seen: string[] = [];
  const ended = await client.follow("job_1", (event) => seen.push(event.job.status));
  expect(ended.status).toBe("succeeded");
  expect(seen).toEqual(["processing", "processing", "succeeded"]);
});

it("comes back with the ended job when no socket gets through at all", BACKOFF_TIMEOUT, async () => {
  let asked = 0;
  const client = await serve({
    status: () => (++asked < 3 ? "processing" : "failed"),
    onSocket: (ws) => ws.terminate(),
  });
  expect((await client.follow("job_1")).status).toBe("failed");
  expect(asked).toBe(3);
});

it("waits out a failing service, and stops at once when the job is refused (deleted)", BACKOFF_TIMEOUT, async () => {
  let asked = 0;
  const answers: Array<string | number> = [503, "processing", "succeeded"];
  const client = await serve({ status: () => answers[asked++] ?? 404, onSocket: (ws) => ws.terminate() });
  expect((await client.follow("job_1")).status).toBe("succeeded");

  asked = answers.length; // from now on: 404
  await expect(client.follow("job_1")).rejects.toMatchObject({ problem: { code: "not_found" } });
});
