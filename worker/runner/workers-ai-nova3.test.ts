import { describe, expect, it } from "vitest";
import type { RunnerEvent } from "../../contracts";
import { type AiCall, audioChunk, fakeRunner, markedWav, markersIn, recordingAi } from "../test/speech-doubles";
import diarized from "./fixtures/nova3-diarized.json";
import plain from "./fixtures/nova3-plain.json";
import type { RunnerProgress } from "./runner-client";
import {
  NOVA3_KEYTERM_TOKENS,
  NOVA3_MODEL,
  Nova3Output,
  nova3Request,
  nova3Words,
  transcribeWithNova3,
} from "./workers-ai-nova3";
import { estimateTokens, joinWavs } from "./workers-ai-speech";

// Workers AI has no local simulator: unit tests of the adapter with recorded answers shaped as the
// generated Ai_Cf_Deepgram_Nova_3_Output says, plus the fields Deepgram sends with the options on
// (punctuated_word, speaker, speaker_confidence, detected_language, language_confidence).
const plainAnswer: Ai_Cf_Deepgram_Nova_3_Output = plain;
const diarizedAnswer: Ai_Cf_Deepgram_Nova_3_Output = diarized;

const input = () => ({ body: new Blob(["x"]).stream(), mime: "audio/mp4", requestId: "r", language: "eng" });

/** The chunks (markers) whose audio a nova-3 call was sent, read from the WAV body as the model would. */
async function chunksOf(call: AiCall): Promise<number[]> {
  const audio = call.input.audio as { body: ReadableStream; contentType: string };
  return markersIn(new Uint8Array(await new Response(audio.body).arrayBuffer()));
}

async function run(
  events: RunnerEvent[],
  options: Parameters<typeof transcribeWithNova3>[3],
  answer: (call: AiCall) => unknown = () => diarizedAnswer,
  diarizeSeconds = 750,
) {
  const sent: number[][] = [];
  const { ai, calls } = recordingAi(async (call) => {
    sent.push(await chunksOf(call));
    return answer(call);
  });
  const progress: RunnerProgress[] = [];
  const result = await transcribeWithNova3(
    ai,
    fakeRunner(events),
    input(),
    options,
    async (event) => {
      progress.push(event);
    },
    { diarizeSeconds },
  );
  return { result, calls, sent, progress };
}

const end = (duration: number, chunks: number): RunnerEvent => ({ type: "audio_end", duration_s: duration, chunks });

describe("nova3Request", () => {
  it("formats and punctuates, in the job's language", () => {
    expect(nova3Request({ language: "deu" })).toEqual({
      input: { smart_format: true, punctuate: true, language: "de" },
      warnings: [],
    });
  });

  it('asks for speaker labels with diarize, and detects the language with "auto" (no language sent)', () => {
    expect(nova3Request({ language: "auto", diarize: true }).input).toEqual({
      smart_format: true,
      punctuate: true,
      diarize: true,
      detect_language: true,
    });
  });

  it("sends one key term as the string the type names, several as the repeated parameter's array", () => {
    expect(nova3Request({ language: "eng", vocabulary: ["Acme"] }).input.keyterm).toBe("Acme");
    expect(nova3Request({ language: "eng", vocabulary: ["Acme", "order number"] }).input.keyterm).toEqual([
      "Acme",
      "order number",
    ]);
  });

  it("sends each key term once, as spelled", () => {
    expect(nova3Request({ language: "eng", vocabulary: ["Acme", "Acme"] }).input.keyterm).toBe("Acme");
    expect(nova3Request({ language: "eng", vocabulary: ["Acme", "acme", "Acme"] }).input.keyterm).toEqual([
      "Acme",
      "acme",
    ]);
    const many = Array.from({ length: 100 }, (_, i) => `Pharmaceutical compound number ${i % 40} extended release`);
    const { input, warnings } = nova3Request({ language: "eng", vocabulary: many });
    const reported = [...(input.keyterm as unknown as string[]), ...(warnings[0]?.terms ?? [])];
    expect(reported).toEqual(many.slice(0, 40));
  });

  it("reports the key terms past Deepgram's 500-token limit as unused", () => {
    const terms = Array.from({ length: 100 }, (_, i) => `Pharmaceutical compound number ${i} extended release`);
    const { input, warnings } = nova3Request({ language: "eng", vocabulary: terms });
    const used = input.keyterm as unknown as string[];
    expect(used).toEqual(terms.slice(0, used.length));
    expect(estimateTokens(used.join(" "))).toBeLessThanOrEqual(NOVA3_KEYTERM_TOKENS);
    expect(warnings).toEqual([
      { code: "vocabulary_unused", message: expect.stringContaining("500"), terms: terms.slice(used.length) },
    ]);
  });
});

describe("nova3Words", () => {
  it("parses an answer with Deepgram's extra fields, and takes punctuated words and speaker numbers", () => {
    const output = Nova3Output.parse(diarizedAnswer);
    const { words, language } = nova3Words(output, true);
    expect(language).toBe("en");
    expect(words.slice(0, 2)).toEqual([
      { text: "Hi,", start: 0.08, end: 0.32, confidence: 0.99, speaker: 0 },
      { text: "thanks", start: 0.36, end: 0.64, confidence: 0.98, speaker: 0 },
    ]);
    expect(words.map((w) => w.speaker)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0]);
  });

  it("leaves speakers out unless asked, and takes the plain word where no punctuated one came", () => {
    const words = nova3Words(Nova3Output.parse(diarizedAnswer), false).words;
    expect(words.every((w) => w.speaker === undefined)).toBe(true);
    const bare = {
      results: { channels: [{ alternatives: [{ words: [{ word: "ok", start: 1, end: 2, confidence: 0.5 }] }] }] },
    };
    expect(nova3Words(Nova3Output.parse(bare), false).words).toEqual([
      { text: "ok", start: 1, end: 2, confidence: 0.5 },
    ]);
  });
});

describe("joinWavs", () => {
  it("joins WAV files of one format into one, their samples in order", () => {
    const joined = joinWavs([markedWav(1, 4), markedWav(2, 6)]);
    expect(markersIn(joined)).toEqual([1, 2]);
    const view = new DataView(joined.buffer);
    expect(view.getUint32(4, true)).toBe(joined.length - 8);
    expect(view.getUint32(40, true)).toBe((4 + 6) * 2); // the data chunk's size
    expect(joined.length).toBe(44 + 20);
  });
});

describe("transcribeWithNova3", () => {
  const probe: RunnerEvent = { type: "probe", pages: null, duration_s: 150 };

  it("with diarize, sends a recording's chunks joined in one request and labels speakers across it", async () => {
    const { result, calls, sent, progress } = await run(
      [probe, audioChunk(0, 3, 0, 60), audioChunk(1, 3, 60, 120), audioChunk(2, 3, 120, 150), end(150, 3)],
      { language: "auto", diarize: true, vocabulary: ["Acme"] },
    );
    expect(calls).toHaveLength(1);
    expect(sent).toEqual([[1, 2, 3]]);
    expect(calls[0]?.model).toBe(NOVA3_MODEL);
    expect(calls[0]?.input).toEqual({
      smart_format: true,
      punctuate: true,
      diarize: true,
      detect_language: true,
      keyterm: "Acme",
      audio: { body: expect.any(ReadableStream), contentType: "audio/wav" },
    });
    expect(result.segments.map((s) => [s.start, s.end, s.speaker, s.text])).toEqual([
      [0.08, 2.3, "Speaker 1", "Hi, thanks for calling Acme. How can I help?"],
      [2.9, 4.4, "Speaker 2", "I'd like to check order 42."],
      [4.9, 5.2, "Speaker 1", "Sure."],
    ]);
    expect(result).toMatchObject({
      engine: `workers-ai:${NOVA3_MODEL}`,
      language: "eng",
      detected_language: "eng",
      duration_s: 150,
      warnings: [],
    });
    expect(progress.flatMap((p) => (p.type === "progress" ? [[p.done, p.total, p.unit]] : []))).toEqual([
      [0, 150, "seconds"],
      [150, 150, "seconds"],
    ]);
  });

  it("with diarize, starts a new request past the longest piece, and never joins across channels", async () => {
    const { sent, result } = await run(
      [
        probe,
        audioChunk(0, 4, 0, 60, { channel: 0 }),
        audioChunk(1, 4, 60, 120, { channel: 0 }),
        audioChunk(2, 4, 120, 150, { channel: 0 }),
        audioChunk(3, 4, 0, 150, { channel: 1 }),
        end(150, 4),
      ],
      { language: "eng", diarize: true, channels: "split" },
      () => diarizedAnswer,
      125,
    );
    expect(sent).toEqual([[1, 2], [3], [4]]);
    const labels = new Set(result.segments.map((s) => `${s.channel}:${s.speaker}`));
    expect([...labels].sort()).toEqual([
      "0:Channel 1, Speaker 1",
      "0:Channel 1, Speaker 2",
      "1:Channel 2, Speaker 1",
      "1:Channel 2, Speaker 2",
    ]);
  });

  it("with diarize, never joins chunks of two channels, even back to back", async () => {
    const { sent } = await run(
      [probe, audioChunk(0, 2, 0, 60, { channel: 0 }), audioChunk(1, 2, 60, 120, { channel: 1 }), end(120, 2)],
      { language: "eng", diarize: true, channels: "split" },
    );
    expect(sent).toEqual([[1], [2]]);
  });

  it("without diarize, sends each chunk as it comes, in the job's language", async () => {
    const { calls, sent, result } = await run(
      [probe, audioChunk(0, 3, 0, 60), audioChunk(1, 3, 60, 120), audioChunk(2, 3, 120, 150), end(150, 3)],
      { language: "eng" },
      () => plainAnswer,
    );
    expect(sent.sort()).toEqual([[1], [2], [3]]);
    for (const call of calls) expect(call.input).toMatchObject({ language: "en" });
    for (const call of calls) expect(call.input).not.toHaveProperty("diarize");
    expect(result.segments.map((s) => [s.start, s.text])).toEqual([
      [0.1, "The quarterly numbers look good."],
      [60.1, "The quarterly numbers look good."],
      [120.1, "The quarterly numbers look good."],
    ]);
    expect(result.segments.every((s) => s.speaker === undefined)).toBe(true);
    expect(result).not.toHaveProperty("detected_language");
  });

  it('says when it cannot name the language heard with "auto"', async () => {
    const { result } = await run(
      [probe, audioChunk(0, 1, 0, 150), end(150, 1)],
      { language: "auto" },
      () => plainAnswer,
    );
    expect(result).toMatchObject({ language: "und", detected_language: null });
    expect(result.warnings).toEqual([{ code: "language_not_detected", message: expect.stringContaining("nova-3") }]);
  });

  it("fails the attempt, to be retried, on an answer of another shape", async () => {
    await expect(
      run([audioChunk(0, 1, 0, 60), end(60, 1)], { language: "eng" }, () => ({ results: { channels: "none" } })),
    ).rejects.toMatchObject({
      code: "engine_failed",
      errorClass: "transient",
      message: expect.stringContaining("shape"),
    });
  });

  it("gives each call the attempt's signal, aborted at the first failure", async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const ai = {
      run: async (_model: string, inputs: Record<string, unknown>, options?: AiOptions) => {
        signals.push(options?.signal);
        const [chunk] = await chunksOf({ model: NOVA3_MODEL, input: inputs });
        if (chunk === 2) throw new Error("capacity");
        // The others wait for an answer that never comes unless their call is aborted.
        return new Promise((_, reject) =>
          options?.signal?.addEventListener("abort", () => reject(options.signal?.reason)),
        );
      },
    } as unknown as Ai;
    const events = [probe, audioChunk(0, 3, 0, 60), audioChunk(1, 3, 60, 120), audioChunk(2, 3, 120, 150), end(150, 3)];
    await expect(
      transcribeWithNova3(ai, fakeRunner(events), input(), { language: "eng" }, async () => {}, {
        diarizeSeconds: 750,
      }),
    ).rejects.toMatchObject({ code: "engine_failed", message: expect.stringContaining("capacity") });
    expect(signals).toHaveLength(3);
    expect(signals.every((signal) => signal?.aborted)).toBe(true);
  });

  it("refuses a language nova-3 does not hear as bad input, before any work", async () => {
    const { ai, calls } = recordingAi(() => plainAnswer);
    const endpoint = fakeRunner([audioChunk(0, 1, 0, 60), end(60, 1)]);
    await expect(
      transcribeWithNova3(ai, endpoint, input(), { language: "pol" }, async () => {}, { diarizeSeconds: 750 }),
    ).rejects.toMatchObject({ code: "validation_failed", errorClass: "input" });
    expect(calls).toHaveLength(0);
  });
});
