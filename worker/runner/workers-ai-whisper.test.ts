import { describe, expect, it } from "vitest";
import type { RunnerEvent } from "../../contracts";
import type { RunnerProgress } from "./runner-client";
import type { RunnerEndpoint } from "./runner-endpoint";
import { transcribeWithWorkersAi, WHISPER_MODEL, whisperSegments } from "./workers-ai-whisper";

// Workers AI has no local simulator: these are unit tests of the adapter's logic, with the model's
// output shape taken from its published schema (Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output).

const whisperOutput = (text: string, start: number) => ({
  text,
  segments: [
    {
      start,
      end: start + 1.5,
      text: ` ${text}`,
      avg_logprob: Math.log(0.8),
      words: text
        .split(" ")
        .map((word, i) => ({ word: ` ${word}`, start: start + i * 0.5, end: start + i * 0.5 + 0.4 })),
    },
  ],
});

describe("whisperSegments", () => {
  it("moves segments and words onto the file's timeline with a probability as confidence", () => {
    const [segment] = whisperSegments(whisperOutput("hello there", 1), 60);
    expect(segment).toEqual({
      start: 61,
      end: 62.5,
      text: "hello there",
      words: [
        { text: "hello", start: 61, end: 61.4, confidence: 0.8 },
        { text: "there", start: 61.5, end: 61.9, confidence: 0.8 },
      ],
    });
  });

  it("drops empty segments and blank words", () => {
    expect(whisperSegments({ text: "", segments: [{ start: 0, end: 1, text: "  ", words: [] }] }, 0)).toEqual([]);
    expect(whisperSegments({ text: "" }, 0)).toEqual([]);
  });
});

describe("transcribeWithWorkersAi", () => {
  const chunkStream = (events: RunnerEvent[]): RunnerEndpoint => ({
    url: (path) => `http://runner${path}`,
    fetch: async () =>
      new Response(events.map((e) => `${JSON.stringify(e)}\n`).join(""), {
        headers: { "content-type": "application/x-ndjson" },
      }),
  });
  const chunk = (index: number, start: number): RunnerEvent => ({
    type: "audio_chunk",
    index,
    total: 3,
    start_s: start,
    end_s: start + 60,
    wav_base64: btoa(`chunk-${index}`),
  });

  it("recognizes every chunk, in any order, and returns segments in time order with progress", async () => {
    const calls: Array<{ model: string; language?: string; audio: string }> = [];
    const ai = {
      run: async (model: string, input: { audio: string; language?: string }) => {
        calls.push({ model, ...input });
        const index = Number(atob(input.audio).split("-")[1]);
        await new Promise((r) => setTimeout(r, (3 - index) * 10)); // later chunks finish first
        return whisperOutput(`words of chunk ${index}`, 0);
      },
    } as unknown as Ai;
    const endpoint = chunkStream([
      { type: "probe", pages: null, duration_s: 180 },
      chunk(0, 0),
      chunk(1, 60),
      chunk(2, 120),
      { type: "audio_end", duration_s: 180, chunks: 3 },
    ]);
    const progress: RunnerProgress[] = [];
    const result = await transcribeWithWorkersAi(
      ai,
      endpoint,
      { body: new Blob(["x"]).stream(), mime: "audio/mpeg", requestId: "r", language: "eng" },
      async (e) => {
        progress.push(e);
      },
    );
    expect(calls.map((c) => [c.model, c.language])).toEqual([
      [WHISPER_MODEL, "en"],
      [WHISPER_MODEL, "en"],
      [WHISPER_MODEL, "en"],
    ]);
    expect(result.segments.map((s) => [s.start, s.text])).toEqual([
      [0, "words of chunk 0"],
      [60, "words of chunk 1"],
      [120, "words of chunk 2"],
    ]);
    expect(result).toMatchObject({ kind: "av", duration_s: 180, engine: `workers-ai:${WHISPER_MODEL}` });
    expect(progress.map((p) => (p.type === "progress" ? p.done : "probe"))).toEqual(["probe", 1, 2, 3]);
  });

  it("fails the attempt when a middle chunk fails while later ones succeed (no gap in the transcript)", async () => {
    const ai = {
      run: async (_model: string, input: { audio: string }) => {
        if (atob(input.audio) === "chunk-1") throw new Error("capacity");
        return whisperOutput("fine", 0);
      },
    } as unknown as Ai;
    const endpoint = chunkStream([
      chunk(0, 0),
      chunk(1, 60),
      chunk(2, 120),
      { type: "audio_end", duration_s: 180, chunks: 3 },
    ]);
    const input = { body: new Blob(["x"]).stream(), mime: "audio/wav", requestId: "r", language: "eng" };
    await expect(transcribeWithWorkersAi(ai, endpoint, input, async () => {})).rejects.toMatchObject({
      code: "engine_failed",
      errorClass: "transient",
    });
  });

  it.each(["xyz", "eng+deu"])("refuses the speech language %s as bad input, before any work", async (language) => {
    let asked = 0;
    const ai = { run: async () => asked++ } as unknown as Ai;
    const endpoint = chunkStream([chunk(0, 0), { type: "audio_end", duration_s: 60, chunks: 1 }]);
    const input = { body: new Blob(["x"]).stream(), mime: "audio/wav", requestId: "r", language };
    await expect(transcribeWithWorkersAi(ai, endpoint, input, async () => {})).rejects.toMatchObject({
      code: "validation_failed",
      errorClass: "input",
    });
    expect(asked).toBe(0);
  });

  it("turns a model failure into a retryable engine_failed", async () => {
    const ai = { run: async () => Promise.reject(new Error("capacity")) } as unknown as Ai;
    const endpoint = chunkStream([chunk(0, 0), { type: "audio_end", duration_s: 60, chunks: 1 }]);
    await expect(
      transcribeWithWorkersAi(
        ai,
        endpoint,
        { body: new Blob(["x"]).stream(), mime: "audio/wav", requestId: "r", language: "eng" },
        async () => {},
      ),
    ).rejects.toMatchObject({ code: "engine_failed", errorClass: "transient" });
  });
});
