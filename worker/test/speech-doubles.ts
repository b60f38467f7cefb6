import type { RunnerEvent } from "../../contracts";
import type { RunnerEndpoint } from "../runner/runner-endpoint";

// Test doubles for the speech engines on Workers AI. Workers AI has no local simulator: the model is
// a remote service, so an in-memory `Ai` answers with responses shaped as the generated types say
// (fixtures under worker/runner/fixtures/), and records what it was sent. The runner's chunk stream
// is a fake endpoint answering NDJSON, recording the URLs it was asked for.

/** A runner endpoint that answers every request with these events as NDJSON, and records the URLs asked for. */
export function fakeRunner(events: RunnerEvent[] | ((url: URL) => RunnerEvent[])): RunnerEndpoint & { urls: URL[] } {
  const urls: URL[] = [];
  return {
    urls,
    url: (path) => `http://runner${path}`,
    fetch: async (url, init) => {
      // The body is the uploaded file: read it, as the runner would.
      if (init?.body instanceof ReadableStream) await new Response(init.body).arrayBuffer();
      const parsed = new URL(url);
      urls.push(parsed);
      const answer = typeof events === "function" ? events(parsed) : events;
      return new Response(answer.map((e) => `${JSON.stringify(e)}\n`).join(""), {
        headers: { "content-type": "application/x-ndjson" },
      });
    },
  };
}

export type AiCall = { model: string; input: Record<string, unknown> };

/** An `Ai` whose `run` records each call and answers with `answer` (which may throw or wait). */
export function recordingAi(answer: (call: AiCall) => unknown | Promise<unknown>): { ai: Ai; calls: AiCall[] } {
  const calls: AiCall[] = [];
  const ai = {
    run: async (model: string, input: Record<string, unknown>) => {
      const call = { model, input };
      calls.push(call);
      return answer(call);
    },
  } as unknown as Ai;
  return { ai, calls };
}

/**
 * A 16 kHz mono 16-bit WAV of `samples` samples, all of value `marker`, as ffmpeg writes one (with a
 * LIST chunk before the data): joined pieces can be told apart by their samples.
 */
export function markedWav(marker: number, samples = 8): Uint8Array {
  const list = new TextEncoder().encode("INFOISFT\u000e\u0000\u0000\u0000Lavf59.27.100\u0000");
  const size = 12 + 24 + 8 + list.length + 8 + samples * 2;
  const view = new DataView(new ArrayBuffer(size));
  const bytes = new Uint8Array(view.buffer);
  const ascii = (at: number, text: string) => bytes.set(new TextEncoder().encode(text), at);
  ascii(0, "RIFF");
  view.setUint32(4, size - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, 16_000, true);
  view.setUint32(28, 32_000, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "LIST");
  view.setUint32(40, list.length, true);
  bytes.set(list, 44);
  const data = 44 + list.length;
  ascii(data, "data");
  view.setUint32(data + 4, samples * 2, true);
  for (let i = 0; i < samples; i++) view.setInt16(data + 8 + i * 2, marker, true);
  return bytes;
}

/** The markers of the WAV pieces joined in `wav`, in order (each run of equal samples is one). */
export function markersIn(wav: Uint8Array): number[] {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(...wav.subarray(at, at + 4));
  let at = 12;
  while (tag(at) !== "data") at += 8 + view.getUint32(at + 4, true);
  const end = at + 8 + view.getUint32(at + 4, true);
  const markers: number[] = [];
  for (let i = at + 8; i < end; i += 2) {
    const sample = view.getInt16(i, true);
    if (markers.at(-1) !== sample) markers.push(sample);
  }
  return markers;
}

export const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** The runner's `audio_chunk` event for [start, end), its WAV marked with `index` (or `marker`). */
export function audioChunk(
  index: number,
  total: number,
  start: number,
  end: number,
  extra: { channel?: number; marker?: number } = {},
): RunnerEvent {
  return {
    type: "audio_chunk",
    index,
    total,
    start_s: start,
    end_s: end,
    ...(extra.channel === undefined ? {} : { channel: extra.channel }),
    wav_base64: base64(markedWav(extra.marker ?? index + 1)),
  };
}
