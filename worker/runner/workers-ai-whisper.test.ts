import { describe, expect, it } from "vitest";
import { type RunnerEvent, segmentWords } from "../../contracts";
import { type AiCall, audioChunk, fakeRunner, markersIn, recordingAi } from "../test/speech-doubles";
import german from "./fixtures/whisper-de-translated.json";
import english from "./fixtures/whisper-en.json";
import japanese from "./fixtures/whisper-ja.json";
import segmentWithoutWords from "./fixtures/whisper-segment-without-words.json";
import textOnly from "./fixtures/whisper-text-only.json";
import type { RunnerProgress } from "./runner-client";
import { estimateTokens } from "./workers-ai-speech";
import {
  transcribeWithWhisper,
  WHISPER_MODEL,
  WHISPER_PROMPT_TOKENS,
  WhisperOutput,
  whisperRequest,
  whisperWords,
} from "./workers-ai-whisper";

// Workers AI has no local simulator: these are unit tests of the adapter with recorded answers shaped
// exactly as the generated Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output says (the assignments check it).
const enAnswer: Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output = english;
const deAnswer: Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output = german;
const jaAnswer: Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output = japanese;
const textOnlyAnswer: Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output = textOnly;
const untimedAnswer: Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output = segmentWithoutWords;

const input = () => ({ body: new Blob(["x"]).stream(), mime: "audio/mpeg", requestId: "r", language: "eng" });
/** The marker of the chunk a Whisper call was sent (its WAV is base64 in `audio`). */
const chunkOf = (audio: unknown) => markersIn(Uint8Array.from(atob(String(audio)), (c) => c.charCodeAt(0)))[0];

/** An `Ai` that records each call with the signal it was given (the third argument of `run`). */
function signalAi(answer: (call: AiCall & { signal: AbortSignal | undefined }) => unknown) {
  const calls: (AiCall & { signal: AbortSignal | undefined })[] = [];
  const ai = {
    run: async (model: string, input: Record<string, unknown>, options?: AiOptions) => {
      const call = { model, input, signal: options?.signal };
      calls.push(call);
      return answer(call);
    },
  } as unknown as Ai;
  return { ai, calls };
}

/** Resolves with `value` after `ms`, or rejects when `signal` aborts first (as Workers AI's fetch does). */
const answerAfter = (ms: number, value: unknown, signal: AbortSignal | undefined) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(value), ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      reject(signal.reason);
    });
  });

async function run(
  events: RunnerEvent[],
  options: Parameters<typeof transcribeWithWhisper>[3],
  answer: (chunk: number) => unknown = () => enAnswer,
) {
  const { ai, calls } = recordingAi(({ input }) => answer(chunkOf(input.audio) as number));
  const progress: RunnerProgress[] = [];
  const endpoint = fakeRunner(events);
  const result = await transcribeWithWhisper(ai, endpoint, input(), options, async (event) => {
    progress.push(event);
  });
  return { result, calls, progress, urls: endpoint.urls };
}

describe("whisperRequest", () => {
  it("sends voice activity detection, the language, and no task by default", () => {
    expect(whisperRequest({ language: "eng" })).toEqual({ input: { vad_filter: true, language: "en" }, warnings: [] });
  });

  it('leaves the language out with "auto", for Whisper to find, and asks for the translate task', () => {
    expect(whisperRequest({ language: "auto", translate: true }).input).toEqual({
      vad_filter: true,
      task: "translate",
    });
  });

  it("prompts with the vocabulary, and reports the terms past the prompt's limit as unused", () => {
    expect(whisperRequest({ language: "eng", vocabulary: ["Verbatim", "Kubernetes"] })).toEqual({
      input: { vad_filter: true, language: "en", initial_prompt: "Verbatim, Kubernetes" },
      warnings: [],
    });
    // Each term once, as spelled.
    expect(whisperRequest({ language: "eng", vocabulary: ["Acme", "ACME", "Acme"] }).input.initial_prompt).toBe(
      "Acme, ACME",
    );
    const terms = Array.from({ length: 100 }, (_, i) => `Productname${i} Suite`);
    const { input, warnings } = whisperRequest({ language: "eng", vocabulary: terms });
    const prompt = String(input.initial_prompt);
    expect(estimateTokens(prompt)).toBeLessThanOrEqual(WHISPER_PROMPT_TOKENS);
    const used = prompt.split(", ");
    expect(used).toEqual(terms.slice(0, used.length)); // the first ones listed are kept
    expect(warnings).toEqual([
      { code: "vocabulary_unused", message: expect.stringContaining("prompt"), terms: terms.slice(used.length) },
    ]);
  });
});

describe("whisperWords", () => {
  it("takes Whisper's word timings, trimmed, with the segment's probability as confidence, and its language", () => {
    const { words, language } = whisperWords(WhisperOutput.parse(enAnswer), 6.4);
    expect(language).toBe("en");
    expect(words.slice(0, 2)).toEqual([
      { text: "Hello,", start: 0, end: 0.42, confidence: Math.exp(-0.105) },
      { text: "everyone.", start: 0.46, end: 1.02, confidence: Math.exp(-0.105) },
    ]);
    expect(words.map((w) => w.text).join(" ")).toBe(
      "Hello, everyone. Welcome to Verbatim. Today we transcribe Kubernetes talks.",
    );
  });

  /** Words with their times to the millisecond, as they are put on the timeline. */
  const timed = (words: { text: string; start: number; end: number; confidence: number }[]) =>
    words.map((w) => [w.text, Math.round(w.start * 1000) / 1000, Math.round(w.end * 1000) / 1000, w.confidence]);

  it("spreads the words of a segment without word timings over the segment by their length, and drops blank ones", () => {
    expect(timed(whisperWords(WhisperOutput.parse(untimedAnswer), 5).words)).toEqual([
      ["Yes.", 0.1, 0.6, Math.exp(-0.1)],
      // 16 letters over 2–3.6 s: 0.1 s a letter.
      ["See", 2, 2.3, Math.exp(-0.2)],
      ["you", 2.3, 2.6, Math.exp(-0.2)],
      ["then,", 2.6, 3.1, Math.exp(-0.2)],
      ["Anna.", 3.1, 3.6, Math.exp(-0.2)],
    ]);
  });

  it("keeps the text of an answer without segments, its words spread over the piece by their length", () => {
    const { words, language } = whisperWords(WhisperOutput.parse(textOnlyAnswer), 3.4);
    expect(language).toBe("en");
    // 17 letters over 3.4 s: 0.2 s a letter.
    expect(timed(words)).toEqual([
      ["Call", 0, 0.8, 1],
      ["me", 0.8, 1.2, 1],
      ["back", 1.2, 2, 1],
      ["at", 2, 2.4, 1],
      ["noon.", 2.4, 3.4, 1],
    ]);
    expect(whisperWords({ text: " ", segments: [] }, 3.4).words).toEqual([]);
  });
});

describe("transcribeWithWhisper", () => {
  const probe: RunnerEvent = { type: "probe", pages: null, duration_s: 125.4 };
  const end = (duration: number, chunks: number): RunnerEvent => ({ type: "audio_end", duration_s: duration, chunks });

  it("sends every chunk with the job's options, and segments the words on the file's timeline", async () => {
    const { result, calls, urls } = await run(
      [probe, audioChunk(0, 3, 0, 60), audioChunk(1, 3, 60, 120), audioChunk(2, 3, 120, 125.4), end(125.4, 3)],
      { language: "eng", vocabulary: ["Verbatim"] },
    );
    expect(urls.map((url) => url.pathname)).toEqual(["/v1/audio-chunks"]);
    expect(calls).toHaveLength(3);
    for (const call of calls) {
      expect(call.model).toBe(WHISPER_MODEL);
      expect(call.input).toEqual({
        vad_filter: true,
        language: "en",
        initial_prompt: "Verbatim",
        audio: expect.any(String),
      });
    }
    expect(calls.map((call) => chunkOf(call.input.audio)).sort()).toEqual([1, 2, 3]);
    // The same words, on the timeline, as segmentWords makes them: a new segment at the 1.3 s pause.
    const words = [0, 60, 120].flatMap((offset) =>
      whisperWords(enAnswer, 60).words.map(({ speaker: _, ...w }) => ({
        ...w,
        start: Math.round((w.start + offset) * 1000) / 1000,
        end: Math.round((w.end + offset) * 1000) / 1000,
      })),
    );
    expect(result.segments).toEqual(segmentWords(words));
    expect(result.segments.slice(0, 3).map((s) => [s.start, s.end, s.text])).toEqual([
      [0, 2.6, "Hello, everyone. Welcome to Verbatim."],
      [3.9, 6.1, "Today we transcribe Kubernetes talks."],
      [60, 62.6, "Hello, everyone. Welcome to Verbatim."],
    ]);
    expect(result).toMatchObject({
      kind: "av",
      engine: `workers-ai:${WHISPER_MODEL}`,
      language: "eng",
      duration_s: 125.4,
      warnings: [],
    });
    expect(result).not.toHaveProperty("detected_language");
    expect(result).not.toHaveProperty("translated");
  });

  it("reports progress in seconds of audio recognized, out of the probed duration", async () => {
    const { progress } = await run(
      [probe, audioChunk(0, 3, 0, 60.4), audioChunk(1, 3, 60.4, 119.7), audioChunk(2, 3, 119.7, 125.4), end(125.4, 3)],
      { language: "eng" },
      // Later chunks finish first: the seconds add up in any order.
      async (chunk) => {
        await new Promise((r) => setTimeout(r, (3 - chunk) * 15));
        return enAnswer;
      },
    );
    expect(progress[0]).toEqual(probe);
    const seconds = progress.slice(1).map((p) => (p.type === "progress" ? [p.done, p.total, p.unit] : p.type));
    expect(seconds).toEqual([
      [0, 125, "seconds"],
      [6, 125, "seconds"], // 119.7–125.4
      [65, 125, "seconds"], // + 60.4–119.7
      [125, 125, "seconds"], // + 0–60.4
    ]);
  });

  it("without a probed duration, counts out of the furthest chunk seen so far, never less than done", async () => {
    const { progress } = await run(
      [
        { type: "probe", pages: null, duration_s: null },
        audioChunk(0, 3, 0, 60),
        audioChunk(1, 3, 60, 120),
        audioChunk(2, 3, 120, 180.4),
        end(180.4, 3),
      ],
      { language: "eng" },
      async (chunk) => {
        await new Promise((r) => setTimeout(r, chunk * 10));
        return enAnswer;
      },
    );
    const seconds = progress.flatMap((p) => (p.type === "progress" ? [[p.done, p.total]] : []));
    // All three chunks were seen before the first was recognized: not "1:00 of 1:00", "2:00 of 2:00".
    expect(seconds).toEqual([
      [0, 0],
      [60, 180],
      [120, 180],
      [180, 180],
    ]);
  });

  it('finds the language with "auto": the one heard in the most seconds, in the API\'s codes', async () => {
    const { result, calls } = await run(
      [probe, audioChunk(0, 3, 0, 60), audioChunk(1, 3, 60, 120), audioChunk(2, 3, 120, 125.4), end(125.4, 3)],
      { language: "auto" },
      (chunk) => (chunk === 3 ? deAnswer : enAnswer),
    );
    for (const call of calls) expect(call.input).not.toHaveProperty("language");
    expect(result).toMatchObject({ language: "eng", detected_language: "eng", warnings: [] });
  });

  it("translates: the translate task, English text, and the language heard with auto", async () => {
    const { result, calls } = await run([probe, audioChunk(0, 1, 0, 4.1), end(4.1, 1)], {
      language: "auto",
      translate: true,
    });
    expect(calls[0]?.input).toEqual({ vad_filter: true, task: "translate", audio: expect.any(String) });
    expect(result).toMatchObject({ language: "eng", translated: true, detected_language: "eng" });
    const fromGerman = await run(
      [probe, audioChunk(0, 1, 0, 4.1), end(4.1, 1)],
      { language: "deu", translate: true },
      () => deAnswer,
    );
    expect(fromGerman.calls[0]?.input).toMatchObject({ task: "translate", language: "de" });
    expect(fromGerman.result).toMatchObject({ language: "eng", translated: true });
    expect(fromGerman.result).not.toHaveProperty("detected_language");
    expect(fromGerman.result.segments.map((s) => s.text)).toEqual(["Good morning, the meeting begins."]);
  });

  it("names no language it does not list: detected_language null, und, and a warning naming Whisper's code", async () => {
    const swahili = { ...enAnswer, transcription_info: { ...enAnswer.transcription_info, language: "sw" } };
    const { result } = await run([probe, audioChunk(0, 1, 0, 6.4), end(6.4, 1)], { language: "auto" }, () => swahili);
    expect(result).toMatchObject({ language: "und", detected_language: null });
    expect(result.warnings).toEqual([{ code: "language_not_detected", message: expect.stringContaining('"sw"') }]);
  });

  it("joins the words of languages written without spaces without spaces", async () => {
    const { result } = await run([probe, audioChunk(0, 1, 0, 3), end(3, 1)], { language: "auto" }, () => jaAnswer);
    expect(result).toMatchObject({ language: "jpn", detected_language: "jpn" });
    expect(result.segments.map((s) => s.text)).toEqual(["こんにちは、東京です。"]);
  });

  it('with "auto", joins each piece\'s words as the language heard in it is written', async () => {
    // Mostly English with a Japanese piece, then mostly Japanese with an English piece.
    const mostlyEnglish = { japanese: [0, 3], english: [10, 16.4], heard: "eng" } as const;
    const mostlyJapanese = { japanese: [0, 30], english: [30, 36.4], heard: "jpn" } as const;
    for (const { japanese, english, heard } of [mostlyEnglish, mostlyJapanese]) {
      const { result } = await run(
        [
          probe,
          audioChunk(0, 2, japanese[0], japanese[1]),
          audioChunk(1, 2, english[0], english[1]),
          end(english[1], 2),
        ],
        { language: "auto" },
        (chunk) => (chunk === 1 ? jaAnswer : enAnswer),
      );
      expect(result.detected_language).toBe(heard);
      expect(result.segments.map((s) => s.text)).toEqual([
        "こんにちは、東京です。",
        "Hello, everyone. Welcome to Verbatim.",
        "Today we transcribe Kubernetes talks.",
      ]);
    }
  });

  it("with channels split, labels each channel's words as its speaker and counts progress over the recording", async () => {
    const { result, progress, urls } = await run(
      [
        { type: "probe", pages: null, duration_s: 100 },
        audioChunk(0, 4, 0, 50, { channel: 0 }),
        audioChunk(1, 4, 50, 100, { channel: 0 }),
        audioChunk(2, 4, 0, 50, { channel: 1 }),
        audioChunk(3, 4, 50, 100, { channel: 1 }),
        end(100, 4),
      ],
      { language: "eng", channels: "split" },
      (chunk) => (chunk <= 2 ? enAnswer : deAnswer),
    );
    expect(urls).toHaveLength(1);
    const first = result.segments.filter((s) => s.start < 5);
    expect(first.map((s) => [s.start, s.speaker, s.channel, s.text])).toEqual([
      [0, "Speaker 1", 0, "Hello, everyone. Welcome to Verbatim."],
      [0.2, "Speaker 2", 1, "Good morning, the meeting begins."],
      [3.9, "Speaker 1", 0, "Today we transcribe Kubernetes talks."],
    ]);
    const done = progress.flatMap((p) => (p.type === "progress" ? [p.done] : []));
    expect(done.at(-1)).toBe(100);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    expect(progress.every((p) => p.type !== "progress" || p.total === 100)).toBe(true);
  });

  it("fails the attempt when a middle chunk fails while later ones succeed (no gap in the transcript)", async () => {
    const events = [audioChunk(0, 3, 0, 60), audioChunk(1, 3, 60, 120), audioChunk(2, 3, 120, 180), end(180, 3)];
    await expect(
      run(events, { language: "eng" }, (chunk) => {
        if (chunk === 2) throw new Error("capacity");
        return enAnswer;
      }),
    ).rejects.toMatchObject({ code: "engine_failed", errorClass: "transient" });
  });

  it("puts the text of an answer without segments on the timeline", async () => {
    const { result } = await run(
      [probe, audioChunk(0, 2, 0, 3.4), audioChunk(1, 2, 3.4, 8), end(8, 2)],
      { language: "eng" },
      (chunk) => (chunk === 1 ? textOnlyAnswer : untimedAnswer),
    );
    expect(result.segments.map((s) => [s.start, s.end, s.text])).toEqual([
      [0, 4.0, "Call me back at noon. Yes."],
      [5.4, 7, "See you then, Anna."],
    ]);
  });

  it("fails the attempt, to be retried, on an answer of another shape", async () => {
    for (const malformed of [
      { segments: [] },
      { text: "Hi", segments: "none" },
      { text: "Hi", segments: [{ words: [{ start: "0" }] }] },
    ]) {
      await expect(
        run([probe, audioChunk(0, 1, 0, 60), end(60, 1)], { language: "eng" }, () => malformed),
      ).rejects.toMatchObject({
        code: "engine_failed",
        errorClass: "transient",
        message: expect.stringContaining("shape"),
      });
    }
  });

  it("stops at the first failed chunk instead of sending the rest of the recording", async () => {
    const events = [...Array.from({ length: 12 }, (_, i) => audioChunk(i, 12, i * 60, i * 60 + 60)), end(720, 12)];
    const { ai, calls } = recordingAi(({ input }) => {
      if (chunkOf(input.audio) === 1) throw new Error("capacity");
      return new Promise((r) => setTimeout(() => r(enAnswer), 20));
    });
    await expect(
      transcribeWithWhisper(ai, fakeRunner(events), input(), { language: "eng" }, async () => {}),
    ).rejects.toMatchObject({ code: "engine_failed", errorClass: "transient" });
    expect(calls.length).toBeLessThan(12);
  });

  it("stops at a cancellation: no call is sent and no progress reported after it, and the calls under way are aborted", async () => {
    const events = [
      probe,
      ...Array.from({ length: 12 }, (_, i) => audioChunk(i, 12, i * 10, i * 10 + 10)),
      end(120, 12),
    ];
    const cancel = new AbortController();
    const progress: RunnerProgress[] = [];
    let reportedBefore = -1;
    const { ai, calls } = signalAi(() => {
      if (calls.length === 2) {
        cancel.abort();
        reportedBefore = progress.length;
      }
      // An answer that ignores the signal: nothing of it may be kept or reported after the cancellation.
      return new Promise((r) => setTimeout(() => r(enAnswer), 20));
    });
    await expect(
      transcribeWithWhisper(
        ai,
        fakeRunner(events),
        { ...input(), signal: cancel.signal },
        { language: "eng" },
        async (e) => {
          progress.push(e);
        },
      ),
    ).rejects.toMatchObject({ name: "AbortError" });
    await new Promise((r) => setTimeout(r, 60)); // the calls under way answer meanwhile
    expect(calls).toHaveLength(2);
    expect(calls.every((call) => call.signal?.aborted)).toBe(true);
    expect(progress).toHaveLength(reportedBefore);
  });

  it("aborts the calls under way at the first failure, and fails with that failure", async () => {
    const events = [probe, ...Array.from({ length: 8 }, (_, i) => audioChunk(i, 8, i * 10, i * 10 + 10)), end(80, 8)];
    const progress: RunnerProgress[] = [];
    const { ai, calls } = signalAi(async ({ input, signal }) => {
      if (chunkOf(input.audio) === 3) {
        await new Promise((r) => setTimeout(r, 10));
        throw new Error("capacity");
      }
      return answerAfter(chunkOf(input.audio) === 1 ? 0 : 2000, enAnswer, signal);
    });
    const started = Date.now();
    await expect(
      transcribeWithWhisper(ai, fakeRunner(events), input(), { language: "eng" }, async (e) => {
        progress.push(e);
      }),
    ).rejects.toMatchObject({ code: "engine_failed", message: expect.stringContaining("capacity") });
    expect(Date.now() - started).toBeLessThan(1000);
    // Chunk 1 answered at once, chunks 2–5 were under way (four at a time) when chunk 3 failed.
    expect(calls.map((call) => chunkOf(call.input.audio))).toEqual([1, 2, 3, 4, 5]);
    expect(calls.every((call) => call.signal?.aborted)).toBe(true);
    const done = progress.flatMap((p) => (p.type === "progress" ? [p.done] : []));
    expect(done).toEqual([0, 10]);
  });

  it.each(["xyz", "eng+deu"])("refuses the speech language %s as bad input, before any work", async (language) => {
    const { ai, calls } = recordingAi(() => enAnswer);
    const endpoint = fakeRunner([audioChunk(0, 1, 0, 60), end(60, 1)]);
    await expect(transcribeWithWhisper(ai, endpoint, input(), { language }, async () => {})).rejects.toMatchObject({
      code: "validation_failed",
      errorClass: "input",
    });
    expect(calls).toHaveLength(0);
    expect(endpoint.urls).toHaveLength(0);
  });
});
