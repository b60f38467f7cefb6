import { readFile } from "node:fs/promises";
import { RunnerEvent } from "../../contracts/runner";

export interface StreamedEvent {
  event: RunnerEvent;
  /** Milliseconds after the request was sent that the line arrived. */
  atMs: number;
}

export interface RunnerReply {
  status: number;
  contentType: string;
  /** Every NDJSON line, each checked against the contract's RunnerEvent schema. */
  events: StreamedEvent[];
  /** The body, for non-stream (problem+json) answers. */
  body: string;
}

/** POSTs a file to the runner and reads the answer line by line as it streams in. */
export async function postFile(url: string, filePath: string, contentType: string): Promise<RunnerReply> {
  const sentAt = performance.now();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": contentType },
    body: await readFile(filePath),
  });
  const replyType = response.headers.get("content-type") ?? "";
  if (!replyType.startsWith("application/x-ndjson")) {
    return { status: response.status, contentType: replyType, events: [], body: await response.text() };
  }

  const events: StreamedEvent[] = [];
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of response.body ?? []) {
    pending += decoder.decode(chunk, { stream: true });
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) {
      events.push({ event: RunnerEvent.parse(JSON.parse(line)), atMs: performance.now() - sentAt });
    }
  }
  if (pending !== "") throw new Error(`stream ended inside a line: ${pending.slice(0, 80)}`);
  return { status: response.status, contentType: replyType, events, body: "" };
}

/**
 * Checks the stream's shape (contracts/runner.ts): `probe` first unless the job failed before it, `progress`
 * in between, and exactly one `result`, `plan` or `error`, last. Returns that final event.
 */
export function finalEvent(reply: RunnerReply): Extract<RunnerEvent, { type: "result" | "plan" | "error" }> {
  const types = reply.events.map(({ event }) => event.type);
  const shape = types.join(" ");
  if (reply.status !== 200) throw new Error(`expected a 200 stream, got ${reply.status}: ${reply.body}`);
  if (!/^(probe( progress)* )?(result|plan|error)$/.test(shape)) throw new Error(`bad event sequence: ${shape}`);
  const last = reply.events.at(-1)?.event;
  if (last?.type !== "result" && last?.type !== "plan" && last?.type !== "error") throw new Error("no final event");
  return last;
}

export function progressEvents(reply: RunnerReply): Extract<RunnerEvent, { type: "progress" }>[] {
  return reply.events.flatMap(({ event }) => (event.type === "progress" ? [event] : []));
}
