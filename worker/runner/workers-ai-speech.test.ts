import { describe, expect, it } from "vitest";
import type { RunnerEvent } from "../../contracts";
import { audioChunk, base64, fakeRunner, markedWav, markersIn } from "../test/speech-doubles";
import { type AudioPiece, hearChunks } from "./workers-ai-speech";

const input = () => ({ body: new Blob(["x"]).stream(), mime: "audio/wav", requestId: "r" });
const end = (duration: number, chunks: number): RunnerEvent => ({ type: "audio_end", duration_s: duration, chunks });

describe("hearChunks", () => {
  it("gives a piece of one chunk the runner's WAV as base64; a joined piece only its joined WAV", async () => {
    const pieces: AudioPiece[] = [];
    await hearChunks(
      fakeRunner([audioChunk(0, 3, 0, 10), audioChunk(1, 3, 10, 20), audioChunk(2, 3, 20, 40), end(40, 3)]),
      input(),
      {
        inFlight: 1,
        joinUpToSeconds: 25,
        onProgress: async () => {},
        recognize: async (piece) => {
          pieces.push(piece);
          return { words: [] };
        },
      },
    );
    const [joined, single] = pieces;
    expect(pieces).toHaveLength(2);
    expect(markersIn(joined?.wav() as Uint8Array)).toEqual([1, 2]);
    // Its base64 would be the first chunk's alone: half of the piece's audio, sent as all of it.
    expect(() => joined?.wavBase64()).toThrow(expect.objectContaining({ code: "internal_error" }));
    expect(single?.wavBase64()).toBe(base64(markedWav(3)));
    expect(markersIn(single?.wav() as Uint8Array)).toEqual([3]);
  });
});
