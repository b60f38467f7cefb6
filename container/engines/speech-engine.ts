import type { AvSegment } from "../../contracts/results";
import type { Run } from "../exec";

/** A speech recognizer: turns one stretch of audio into timed segments of words. */
export interface SpeechEngine {
  readonly name: string;
  /** Languages it can recognize, as the API names them (e.g. `eng`). */
  readonly languages: readonly string[];
  version(run: Run): Promise<string>;
  /**
   * Transcribes headerless PCM (16 kHz, mono, s16le). Times are seconds from the start of that audio;
   * segments come in time order. `onHeard` is told, as recognition goes, how far into the audio it got
   * (seconds), so progress moves within a chunk.
   */
  transcribe(run: Run, rawPcmPath: string, language: string, onHeard?: (seconds: number) => void): Promise<AvSegment[]>;
}
