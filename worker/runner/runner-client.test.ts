import { describe, expect, it } from "vitest";
import { runOnRunner } from "./runner-client";
import type { RunnerEndpoint } from "./runner-endpoint";

// How runner answers become failure classes. The endpoint is a stand-in returning fixed answers
// (the real runner's side of these answers is tested in container/).
const answering = (response: () => Response | Promise<Response>): RunnerEndpoint => ({
  url: (path) => `http://runner${path}`,
  fetch: async () => response(),
});
const input = { kind: "ocr" as const, body: new Blob(["x"]).stream(), mime: "image/png", requestId: "r" };
const run = (endpoint: RunnerEndpoint) =>
  runOnRunner(endpoint, { ...input, body: new Blob(["x"]).stream() }, async () => {});

describe("runner answers → failure classes", () => {
  it.each([
    [503, { "retry-after": "5" }, { code: "runner_unavailable", errorClass: "rate_limited", retryAfterSeconds: 5 }],
    [429, {}, { code: "runner_unavailable", errorClass: "rate_limited" }],
    [500, {}, { code: "runner_unavailable", errorClass: "transient" }],
    [422, {}, { code: "validation_failed", errorClass: "permanent" }],
    [415, {}, { code: "internal_error", errorClass: "permanent" }],
  ])("HTTP %i", async (status, headers, expected) => {
    await expect(run(answering(() => new Response("{}", { status, headers })))).rejects.toMatchObject(expected);
  });

  it("an unreachable runner is back-pressure, like a busy one: the work never started", async () => {
    await expect(run(answering(() => Promise.reject(new TypeError("connection refused"))))).rejects.toMatchObject({
      code: "runner_unavailable",
      errorClass: "rate_limited",
    });
  });

  it("an error event is transient or input as the runner says", async () => {
    const stream = (event: object) => () =>
      new Response(`${JSON.stringify({ type: "probe", pages: 1, duration_s: null })}\n${JSON.stringify(event)}\n`);
    await expect(
      run(answering(stream({ type: "error", code: "media_corrupt", message: "bad", retryable: false }))),
    ).rejects.toMatchObject({ code: "media_corrupt", errorClass: "input" });
    await expect(
      run(answering(stream({ type: "error", code: "engine_failed", message: "killed", retryable: true }))),
    ).rejects.toMatchObject({ code: "engine_failed", errorClass: "transient" });
  });

  it("a stream that breaks off mid-job (the runner died) is the runner's failure, transient", async () => {
    const broken = () =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(
              new TextEncoder().encode(`${JSON.stringify({ type: "probe", pages: 1, duration_s: null })}\n`),
            );
            controller.error(new Error("Network connection lost."));
          },
        }),
      );
    await expect(run(answering(broken))).rejects.toMatchObject({ code: "runner_unavailable", errorClass: "transient" });
  });

  it("a stream that ends without a result is transient", async () => {
    const cut = () => new Response(`${JSON.stringify({ type: "probe", pages: 1, duration_s: null })}\n`);
    await expect(run(answering(cut))).rejects.toMatchObject({ code: "engine_failed", errorClass: "transient" });
  });
});
