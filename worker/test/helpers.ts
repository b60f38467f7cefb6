import { createExecutionContext, env, runInDurableObject } from "cloudflare:test";
import { ulid } from "ulid";
import { expect, onTestFinished, vi } from "vitest";
import { type Job, scopesOfRole } from "../../contracts";
import worker from "../index";
import { newApiKey } from "../lib/api-key";
import { coordinatorFor } from "../services/coordinator";
import { queuedJob } from "../services/job-service";

/** A user with a fresh API key, written straight to D1 as `npm run keys:create` does. */
export async function createUserWithKey(
  email = `${ulid().toLowerCase()}@example.test`,
  role: "user" | "admin" = "user",
) {
  const userId = `usr_${ulid()}`;
  const { key, hash, prefix } = await newApiKey();
  const now = new Date().toISOString();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (id, email, role, created_at) VALUES (?, ?, ?, ?)").bind(
      userId,
      email,
      role,
      now,
    ),
    env.DB.prepare(
      "INSERT INTO api_keys (id, user_id, key_hash, prefix, name, created_at, scopes) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ).bind(`key_${ulid()}`, userId, hash, prefix, "test", now, JSON.stringify(scopesOfRole(role))),
  ]);
  return { userId, key, auth: { authorization: `Bearer ${key}` } };
}

/**
 * The worker with these variables (or bindings, e.g. a fake `AI`) set; the configuration is read per
 * environment object.
 */
export function workerWith(vars: Record<string, unknown>) {
  const configured = { ...env, ...vars } as unknown as Env;
  return (path: string, init: RequestInit = {}) =>
    worker.fetch(new Request(`https://api.test${path}`, init), configured, createExecutionContext());
}

/** The worker with USER_LIMITS set. */
export const withLimits = (limits: object) => workerWith({ USER_LIMITS: JSON.stringify(limits) });

/** A 1×1 PNG: enough for content sniffing. */
export const TINY_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

/** A WAV file of a few samples of silence: enough for content sniffing. */
export function tinyWav(): Uint8Array {
  const samples = 16;
  const view = new DataView(new ArrayBuffer(44 + samples * 2));
  const ascii = (at: number, text: string) => {
    for (let i = 0; i < text.length; i++) view.setUint8(at + i, text.charCodeAt(i));
  };
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, "WAVEfmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, 16_000, true);
  view.setUint32(28, 32_000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, samples * 2, true);
  return new Uint8Array(view.buffer);
}

export function uploadForm(bytes: Uint8Array, name: string, options?: unknown): FormData {
  const form = new FormData();
  form.append("file", new File([bytes], name));
  if (options !== undefined) form.append("options", typeof options === "string" ? options : JSON.stringify(options));
  return form;
}

/** A queued OCR job created in its coordinator (and so in D1), as POST /v1/jobs would leave it. */
export async function createQueuedJob(userId: string, overrides: Partial<Job> = {}): Promise<Job> {
  const job: Job = {
    ...queuedJob({
      id: `job_${ulid()}`,
      userId,
      name: "a.png",
      size: TINY_PNG.length,
      kind: "ocr",
      mime: "image/png",
      sha256: "0".repeat(64),
      options: { language: "eng", rotate_pages: true, deskew: true },
      requestId: "req-test",
    }),
    ...overrides,
  };
  await coordinatorFor(env, job.id).create(job);
  return job;
}

/**
 * Captures the messages sent to `queue` from now until the end of the test, by any code of this worker
 * (its Durable Objects share the binding), and returns their bodies. They are kept from the local
 * queue: it would deliver them to this worker's consumer up to a minute later, in the middle of another
 * test, and the consumer would act on the job (nor could the backlog be counted instead: it drops
 * whenever a batch is delivered). Delivery through the real queues is the end-to-end tests' job.
 */
export function captureSends(queue: Queue): () => unknown[] {
  const accepted = { metadata: { metrics: { backlogCount: 0, backlogBytes: 0 } } };
  const send = vi.spyOn(queue, "send").mockResolvedValue(accepted);
  const sendBatch = vi.spyOn(queue, "sendBatch").mockResolvedValue(accepted);
  onTestFinished(() => {
    send.mockRestore();
    sendBatch.mockRestore();
  });
  return () => [
    ...send.mock.calls.map(([body]) => body),
    ...sendBatch.mock.calls.flatMap(([messages]) => [...messages].map((message) => message.body)),
  ];
}

/**
 * Waits until a job that reached a terminal status has announced it: its coordinator's alarm, armed
 * for the moment the status was stored, sends the webhook event and leaves no alarm behind. The
 * runtime fires that alarm on its own, so a test must not run it itself (`runDurableObjectAlarm`
 * would race the runtime's run and could find nothing to do, or only the retry that run arms first).
 */
export async function untilAnnounced(jobId: string): Promise<void> {
  await vi.waitFor(
    async () => {
      const pending = await runInDurableObject(coordinatorFor(env, jobId), async (_instance, state) => ({
        alarm: await state.storage.getAlarm(),
        outbox: await state.storage.get("outbox"),
      }));
      expect(pending).toEqual({ alarm: null, outbox: undefined });
    },
    { timeout: 5_000 },
  );
}
