import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { ulid } from "ulid";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import {
  type AvResult,
  AvResult as AvResultSchema,
  JobOptions,
  type RunnerEvent,
  type WorkMessage,
} from "../contracts";
import { resultKey, sourceKey } from "../contracts/storage";
import { loadConfig } from "../worker/config";
import worker from "../worker/index";
import diarized from "../worker/runner/fixtures/nova3-diarized.json";
import english from "../worker/runner/fixtures/whisper-en.json";
import type { RunnerProgress } from "../worker/runner/runner-client";
import { NOVA3_MODEL } from "../worker/runner/workers-ai-nova3";
import { WHISPER_MODEL } from "../worker/runner/workers-ai-whisper";
import { coordinatorFor } from "../worker/services/coordinator";
import { createQueuedJob, createUserWithKey, tinyWav } from "../worker/test/helpers";
import { type AiCall, audioChunk, fakeRunner, recordingAi } from "../worker/test/speech-doubles";
import { extract, sourceInput } from "./attempt";

// Which engine a recording's job runs on, decided in the consumer from the job's options (as at
// submission), and what the runner's pocketsphinx path adds to its result.

const runnerResult = (language: string): AvResult => ({
  kind: "av",
  engine: "pocketsphinx",
  language,
  duration_s: 3,
  segments: [{ start: 0.5, end: 1.2, text: "hello world", words: [] }],
  warnings: [],
});

/** What the fake runner answers: a transcription on /v1/transcribe, chunks on /v1/audio-chunks. */
const runnerAnswers = (url: URL): RunnerEvent[] =>
  url.pathname === "/v1/transcribe"
    ? [
        { type: "probe", pages: null, duration_s: 3 },
        { type: "progress", done: 3, total: 3, unit: "seconds", stage: "transcribe" },
        { type: "result", result: runnerResult(url.searchParams.get("language") ?? "?") },
      ]
    : [
        { type: "probe", pages: null, duration_s: 6.4 },
        audioChunk(0, 1, 0, 6.4),
        { type: "audio_end", duration_s: 6.4, chunks: 1 },
      ];

const answerAs = (call: AiCall) => (call.model === NOVA3_MODEL ? diarized : english);

async function speechWork(options: object) {
  const { userId } = await createUserWithKey();
  const id = `job_${ulid()}`;
  await env.FILES.put(sourceKey(id), tinyWav());
  const work: WorkMessage = {
    v: 1,
    job_id: id,
    user_id: userId,
    kind: "av",
    object_key: sourceKey(id),
    mime: "audio/wav",
    options: JobOptions.parse(options),
    request_id: "req-speech",
    enqueued_at: new Date().toISOString(),
  };
  return work;
}

/** Runs `extract` for a recording's work as the consumer does, in `environment`, against the fake runner. */
async function extractIn(environment: Env, options: object) {
  const work = await speechWork(options);
  const runner = fakeRunner(runnerAnswers);
  const input = await sourceInput(environment, work, new AbortController().signal);
  const progress: RunnerProgress[] = [];
  const { result } = await extract(environment, loadConfig(environment), work, runner, input, async (event) => {
    progress.push(event);
  });
  return { result: AvResultSchema.parse(result), urls: runner.urls, progress };
}

const withWorkersAi = (ai: Ai) => ({ ...env, SPEECH_ENGINE: "workers-ai", AI: ai }) as unknown as Env;

describe("a recording's job on the runner's pocketsphinx (the local deployment)", () => {
  it("is transcribed in its language, as the runner answers", async () => {
    const { result, urls } = await extractIn(env, { language: "eng" });
    expect(urls.map((url) => url.pathname)).toEqual(["/v1/transcribe"]);
    expect(urls[0]?.searchParams.get("language")).toBe("eng");
    expect(urls[0]?.searchParams.has("channels")).toBe(false);
    expect(result).toEqual(runnerResult("eng"));
  });

  it('hears "auto" as English, and says so', async () => {
    const { result, urls } = await extractIn(env, { language: "auto" });
    expect(urls[0]?.searchParams.get("language")).toBe("eng");
    expect(result).toMatchObject({ language: "eng", detected_language: null });
    expect(result.warnings).toEqual([
      {
        code: "language_not_detected",
        message: "pocketsphinx hears English only; the recording was transcribed as English",
      },
    ]);
  });

  it("reports every term of a vocabulary unused: its language model is fixed", async () => {
    const vocabulary = ["Verbatim", "Kubernetes", "Acme Corp"];
    const { result } = await extractIn(env, { vocabulary });
    expect(result.warnings).toEqual([
      { code: "vocabulary_unused", message: expect.stringContaining("language model is fixed"), terms: vocabulary },
    ]);
  });

  it("passes channels=split on to the runner", async () => {
    const { urls } = await extractIn(env, { channels: "split" });
    expect(urls[0]?.searchParams.get("channels")).toBe("split");
    expect((await extractIn(env, { channels: "mix" })).urls[0]?.searchParams.has("channels")).toBe(false);
  });
});

describe("a recording's job where speech runs on Workers AI", () => {
  it("goes to Whisper by default, on the runner's chunks", async () => {
    const { ai, calls } = recordingAi(answerAs);
    const { result, urls } = await extractIn(withWorkersAi(ai), { language: "eng", vocabulary: ["Verbatim"] });
    expect(urls.map((url) => url.pathname)).toEqual(["/v1/audio-chunks"]);
    expect(calls.map((call) => call.model)).toEqual([WHISPER_MODEL]);
    expect(calls[0]?.input).toMatchObject({ vad_filter: true, initial_prompt: "Verbatim", language: "en" });
    expect(result.engine).toBe(`workers-ai:${WHISPER_MODEL}`);
  });

  it("goes to nova-3 with diarize, and labels speakers", async () => {
    const { ai, calls } = recordingAi(answerAs);
    const { result, progress } = await extractIn(withWorkersAi(ai), { diarize: true });
    expect(calls.map((call) => call.model)).toEqual([NOVA3_MODEL]);
    expect(calls[0]?.input).toMatchObject({ diarize: true, language: "en", smart_format: true });
    expect(result.engine).toBe(`workers-ai:${NOVA3_MODEL}`);
    expect(new Set(result.segments.map((s) => s.speaker))).toEqual(new Set(["Speaker 1", "Speaker 2"]));
    expect(progress.filter((p) => p.type === "progress").map((p) => p.type === "progress" && p.unit)).toContain(
      "seconds",
    );
  });

  it("runs on pocketsphinx when the job names it", async () => {
    const { ai, calls } = recordingAi(answerAs);
    const { urls, result } = await extractIn(withWorkersAi(ai), { engine: "pocketsphinx" });
    expect(urls.map((url) => url.pathname)).toEqual(["/v1/transcribe"]);
    expect(calls).toEqual([]);
    expect(result.engine).toBe("pocketsphinx");
  });

  it("fails, without retries, a job whose engine was turned off since it was accepted", async () => {
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const flag = (enabled: boolean) =>
      SELF.fetch("https://api.test/v1/admin/flags/speech_nova3", {
        method: "PUT",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ enabled, rollout_percent: 100 }),
      });
    expect((await flag(false)).status).toBe(200);
    onTestFinished(async () => {
      await flag(true);
    });
    const { ai, calls } = recordingAi(answerAs);
    await expect(extractIn(withWorkersAi(ai), { diarize: true })).rejects.toMatchObject({
      code: "engine_unavailable",
      errorClass: "permanent",
    });
    expect(calls).toEqual([]);
  });
});

describe("the A/V consumer with speech on Workers AI", () => {
  it("runs a diarized job on nova-3 to the end: progress in seconds, speakers in the stored result", async () => {
    const { ai, calls } = recordingAi(answerAs);
    const environment = withWorkersAi(ai);
    const runner = fakeRunner((url) =>
      url.pathname === "/v1/plan"
        ? [{ type: "plan", pages: null, duration_s: 6.4, parts: [{ unit: "seconds", start: 0, end: 6.4 }] }]
        : runnerAnswers(url),
    );
    const fetchSpy = vi
      .spyOn(globalThis, "fetch")
      .mockImplementation((request, init) =>
        runner.fetch(String(request instanceof Request ? request.url : request), init),
      );
    onTestFinished(() => fetchSpy.mockRestore());
    const { userId } = await createUserWithKey();
    const options = JobOptions.parse({ diarize: true });
    const job = await createQueuedJob(userId, { kind: "av", options });
    const created = await coordinatorFor(env, job.id).get();
    await env.FILES.put(sourceKey(job.id), tinyWav());
    const message: WorkMessage = {
      v: 1,
      job_id: job.id,
      user_id: userId,
      kind: "av",
      object_key: sourceKey(job.id),
      mime: "audio/wav",
      options,
      request_id: "req-speech",
      enqueued_at: created?.created_at ?? new Date().toISOString(),
    };
    const batch = createMessageBatch("verbatim-av", [
      { id: `msg-${ulid()}`, timestamp: Date.now(), attempts: 1, body: message },
    ]);
    const ctx = createExecutionContext();
    await worker.queue(batch, environment);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    const after = await coordinatorFor(env, job.id).get();
    expect(after).toMatchObject({ status: "succeeded", progress: { done: 6, total: 6, unit: "seconds" } });
    expect(calls.map((call) => call.model)).toEqual([NOVA3_MODEL]);
    const stored = AvResultSchema.parse(await (await env.FILES.get(resultKey(job.id, 1, "json")))?.json());
    expect(stored.segments.map((s) => s.speaker)).toEqual(["Speaker 1", "Speaker 2", "Speaker 1"]);
  });
});
