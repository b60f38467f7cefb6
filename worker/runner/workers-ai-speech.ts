import {
  AUTO_LANGUAGE,
  type AvResult,
  type AvSegment,
  type AvWarning,
  type JobOptions,
  type RunnerEvent,
  type SpokenWord,
  segmentWords,
  speakerLabel,
} from "../../contracts";
import { bytesFromBase64 } from "../lib/base64";
import { type RunnerInput, type RunnerProgress, runnerEvents, WorkError } from "./runner-client";
import type { RunnerEndpoint } from "./runner-endpoint";

/**
 * What the speech engines on Workers AI (Whisper, nova-3) share: the runner decodes the file and
 * cuts it at pauses (`/v1/audio-chunks`), the consumer sends the audio to the model a few pieces at
 * once, puts the words back on the file's timeline and makes segments a person reads of them
 * (`segmentWords`, as the runner does for its own engine).
 */

export type AudioChunk = Extract<RunnerEvent, { type: "audio_chunk" }>;

/** The options of a job that speech engines read. */
export type SpeechOptions = Pick<JobOptions, "language" | "vocabulary" | "translate" | "diarize" | "channels">;

/** What is sent to the model at once: one chunk, or (nova-3 with `diarize`) consecutive chunks of one channel. */
export interface AudioPiece {
  start_s: number;
  end_s: number;
  channel: number | undefined;
  /** The WAV file of the piece (the chunk's own, or the chunks' audio joined into one). */
  wav: () => Uint8Array;
  /**
   * The chunk's WAV as the runner sent it, base64 (Whisper takes base64), for a piece of one chunk; a
   * joined piece throws (its audio is `wav()`: one chunk's base64 would send part of it as all of it).
   */
  wavBase64: () => string;
}

/** A word as a model heard it, its times relative to the piece; `speaker` as a diarizing model numbers it. */
export type HeardWord = { text: string; start: number; end: number; confidence: number; speaker?: number };

/** What a model made of one piece: its words, and the language it heard (the model's own code), if it says. */
export interface PieceResult {
  words: HeardWord[];
  language?: string | undefined;
}

/** A word on the file's timeline, with the language its piece was heard in (the model's code), if it said. */
export type TimelineWord = SpokenWord & { language?: string };

/** What `hearChunks` heard of a file: its words, the languages heard with the seconds each was heard in, the duration. */
export interface Heard {
  words: TimelineWord[];
  languages: Map<string, number>;
  durationS: number;
}

const encoder = new TextEncoder();

/**
 * The words of `text` (split at white space) spread over [start, end] by their length in characters,
 * for a model's text without word timings: each word's times are an estimate, the text is kept.
 */
export function spreadWords(text: string, start: number, end: number, confidence: number): HeardWord[] {
  const words = text.split(/\s+/).filter((word) => word !== "");
  const length = (word: string) => [...word].length;
  const characters = words.reduce((sum, word) => sum + length(word), 0);
  const perCharacter = characters > 0 ? Math.max(0, end - start) / characters : 0;
  let at = 0;
  return words.map((word) => {
    const from = start + at * perCharacter;
    at += length(word);
    return { text: word, start: from, end: start + at * perCharacter, confidence };
  });
}

/**
 * An upper estimate of the tokens a byte-pair tokenizer (Whisper's, Deepgram's) makes of `text`: per
 * word one for every 3 bytes of UTF-8 and one for the space or comma before it. English words take
 * fewer (about one per 4 letters), CJK characters about one each: the margin keeps a prompt within
 * its limit, where running over would lose terms silently (Whisper keeps only a prompt's last tokens).
 */
export function estimateTokens(text: string): number {
  return text
    .split(/\s+/)
    .filter((word) => word !== "")
    .reduce((sum, word) => sum + 1 + Math.ceil(encoder.encode(word).length / 3), 0);
}

/**
 * The terms that fit in `budget` tokens, in the caller's order (a term too long is skipped, later ones
 * may fit), and the rest; each term once (as spelled: "Acme" and "ACME" are two), so a repeated one
 * neither spends the budget twice nor is listed twice.
 */
export function fitTerms(terms: readonly string[], budget: number): { used: string[]; unused: string[] } {
  const used: string[] = [];
  const unused: string[] = [];
  let spent = 0;
  for (const term of new Set(terms)) {
    const cost = estimateTokens(term);
    if (spent + cost <= budget) {
      used.push(term);
      spent += cost;
    } else unused.push(term);
  }
  return { used, unused };
}

export const vocabularyUnused = (terms: readonly string[], message: string): AvWarning => ({
  code: "vocabulary_unused",
  message,
  terms: [...terms],
});

const toMs = (seconds: number) => Math.round(seconds * 1000) / 1000;

/**
 * Progress in seconds of the recording: `done` is the audio recognized so far (the finished pieces'
 * lengths), `total` the file's duration from the runner's probe; when the probe could not tell it, the
 * furthest end of a chunk seen so far (the runner streams chunks ahead of their recognition, so the
 * total leads rather than equals what is done). With `channels: "split"` every channel covers the whole
 * timeline and the runner sends them in turn, so the seconds are counted as the share of all chunks
 * recognized, of the stretch of the timeline the chunks cover: it still ends at the recording's length
 * and never goes back. Nothing is reported once `signal` has aborted.
 */
function secondsProgress(onProgress: (event: RunnerProgress) => Promise<void>, signal: AbortSignal) {
  let total = 0;
  let durationKnown = false;
  let recognized = 0;
  let chunksDone = 0;
  let chunksAll = 0;
  let split = false;
  let from = Number.POSITIVE_INFINITY;
  let to = 0;
  const done = () => Math.round(split ? (chunksAll > 0 ? ((to - from) * chunksDone) / chunksAll : 0) : recognized);
  const send = async () => {
    if (signal.aborted) return;
    const seconds = done();
    total = Math.max(total, seconds);
    await onProgress({ type: "progress", done: seconds, total, unit: "seconds", stage: "transcribe" });
  };
  return {
    async probed(durationS: number | null) {
      durationKnown = durationS !== null;
      total = Math.max(total, Math.round(durationS ?? 0));
      await send();
    },
    seen(chunk: AudioChunk) {
      if (!durationKnown) total = Math.max(total, Math.round(chunk.end_s));
      chunksAll = chunk.total;
      split ||= chunk.channel !== undefined;
      from = Math.min(from, chunk.start_s);
      to = Math.max(to, chunk.end_s);
    },
    async finished(piece: AudioPiece, chunks: number) {
      recognized += piece.end_s - piece.start_s;
      chunksDone += chunks;
      await send();
    },
  };
}

/**
 * Streams the file's chunks from the runner and has `recognize` hear each piece, at most `inFlight` at
 * once; pieces are single chunks, or with `joinUpToSeconds` consecutive chunks of one channel joined
 * into pieces of up to that length. Returns every word on the file's timeline (with its channel,
 * speaker and piece's language), the languages heard with the seconds each was heard in, and the
 * duration.
 *
 * One signal covers everything the attempt started: the runner's stream and every call `recognize`
 * makes (it is given the signal). It aborts when the attempt is canceled (`input.signal`: the job was
 * canceled, or its lease taken over) or at the first piece that fails; from then on no piece is sent,
 * no word kept and no progress reported, and the attempt fails with the cancellation or that failure.
 */
export async function hearChunks(
  endpoint: RunnerEndpoint,
  input: RunnerInput,
  options: {
    inFlight: number;
    joinUpToSeconds?: number;
    recognize: (piece: AudioPiece, signal: AbortSignal) => Promise<PieceResult>;
    onProgress: (event: RunnerProgress) => Promise<void>;
  },
): Promise<Heard> {
  const controller = new AbortController();
  const { signal } = controller;
  const cancel = () => controller.abort(input.signal?.reason);
  if (input.signal?.aborted) cancel();
  else input.signal?.addEventListener("abort", cancel, { once: true });
  const stopped = new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  const progress = secondsProgress(options.onProgress, signal);
  const words: TimelineWord[] = [];
  const languages = new Map<string, number>();
  const tasks: Promise<void>[] = [];
  const running = new Set<Promise<void>>();
  let pending: AudioChunk[] = [];

  const launch = async (chunks: AudioChunk[]) => {
    // A slot first: the next piece waits (and the runner's stream with it) while the window is full.
    while (running.size >= options.inFlight) {
      await Promise.race([...running, stopped]);
      signal.throwIfAborted();
    }
    const piece = pieceOf(chunks);
    const task = (async () => {
      try {
        const heard = await options.recognize(piece, signal);
        // Canceled, or another piece failed, meanwhile: nothing more of this attempt is kept or reported.
        if (signal.aborted) return;
        for (const word of heard.words) {
          const speaker = speakerLabel({ channel: piece.channel, speaker: word.speaker });
          words.push({
            text: word.text,
            start: toMs(word.start + piece.start_s),
            end: toMs(word.end + piece.start_s),
            confidence: word.confidence,
            ...(speaker === undefined ? {} : { speaker }),
            ...(piece.channel === undefined ? {} : { channel: piece.channel }),
            ...(heard.language ? { language: heard.language } : {}),
          });
        }
        if (heard.language) {
          languages.set(heard.language, (languages.get(heard.language) ?? 0) + piece.end_s - piece.start_s);
        }
        await progress.finished(piece, chunks.length);
      } catch (error) {
        // The first failure is the attempt's (later ones, often its consequence, change nothing).
        controller.abort(error);
      }
    })();
    tasks.push(task);
    running.add(task);
    // Settled tasks leave the window (a task never rejects: a failure aborts the signal instead).
    void task.then(() => running.delete(task));
  };

  try {
    for await (const event of runnerEvents(endpoint, "/v1/audio-chunks", { ...input, signal })) {
      signal.throwIfAborted();
      if (event.type === "probe") {
        await options.onProgress(event);
        await progress.probed(event.duration_s);
      }
      if (event.type === "audio_chunk") {
        progress.seen(event);
        const last = pending.at(-1);
        const first = pending[0];
        const joins =
          options.joinUpToSeconds !== undefined &&
          last !== undefined &&
          first !== undefined &&
          last.channel === event.channel &&
          // Chunks of a channel cover its timeline without gaps; anything else starts a new piece.
          Math.abs(event.start_s - last.end_s) < 0.01 &&
          event.end_s - first.start_s <= options.joinUpToSeconds;
        if (!joins && pending.length > 0) await launch(pending);
        pending = joins ? [...pending, event] : [event];
        // Nothing to join: the chunk goes at once.
        if (options.joinUpToSeconds === undefined) {
          await launch(pending);
          pending = [];
        }
      }
      if (event.type === "audio_end") {
        if (pending.length > 0) await launch(pending);
        // Every piece must be recognized: one failure fails the attempt, no gap in the transcript.
        await Promise.race([Promise.all(tasks), stopped]);
        signal.throwIfAborted();
        words.sort((a, b) => a.start - b.start || (a.channel ?? 0) - (b.channel ?? 0));
        return { words, languages, durationS: event.duration_s };
      }
    }
    throw new WorkError("engine_failed", "the runner's chunk stream ended early", "transient");
  } catch (err) {
    // The runner's stream, aborted, ends with an AbortError: what the attempt fails with is the reason.
    signal.throwIfAborted();
    throw err;
  } finally {
    input.signal?.removeEventListener("abort", cancel);
    // Ends the runner's stream and any call still under way, whichever way the attempt ended.
    if (!signal.aborted) controller.abort();
  }
}

function pieceOf(chunks: AudioChunk[]): AudioPiece {
  const first = chunks[0] as AudioChunk;
  const last = chunks.at(-1) as AudioChunk;
  return {
    start_s: first.start_s,
    end_s: last.end_s,
    channel: first.channel,
    wavBase64: () => {
      if (chunks.length > 1) {
        throw new WorkError(
          "internal_error",
          "a piece of several chunks has no one WAV file as the runner sent it",
          "permanent",
        );
      }
      return first.wav_base64;
    },
    wav: () =>
      chunks.length === 1
        ? bytesFromBase64(first.wav_base64)
        : joinWavs(chunks.map((chunk) => bytesFromBase64(chunk.wav_base64))),
  };
}

/** The `fmt ` and `data` chunks of a RIFF/WAVE file. */
function wavParts(wav: Uint8Array): { fmt: Uint8Array; data: Uint8Array } {
  const view = new DataView(wav.buffer, wav.byteOffset, wav.byteLength);
  const tag = (at: number) => String.fromCharCode(...wav.subarray(at, at + 4));
  if (wav.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") {
    throw new WorkError("engine_failed", "the runner sent an audio chunk that is not a WAV file", "transient");
  }
  let fmt: Uint8Array | undefined;
  for (let at = 12; at + 8 <= wav.length; ) {
    const size = view.getUint32(at + 4, true);
    const body = wav.subarray(at + 8, Math.min(wav.length, at + 8 + size));
    if (tag(at) === "fmt ") fmt = body;
    if (tag(at) === "data" && fmt) return { fmt, data: body };
    at += 8 + size + (size % 2);
  }
  throw new WorkError("engine_failed", "the runner sent a WAV chunk without its format or data", "transient");
}

/** One WAV file of consecutive WAV files of the same format (the runner's chunks of one channel). */
export function joinWavs(wavs: readonly Uint8Array[]): Uint8Array {
  const parts = wavs.map(wavParts);
  const fmt = (parts[0] as { fmt: Uint8Array }).fmt;
  if (parts.some((part) => part.fmt.length !== fmt.length || part.fmt.some((byte, i) => byte !== fmt[i]))) {
    throw new WorkError("engine_failed", "the runner's WAV chunks differ in format", "transient");
  }
  const dataBytes = parts.reduce((sum, part) => sum + part.data.length, 0);
  const out = new Uint8Array(12 + 8 + fmt.length + 8 + dataBytes);
  const view = new DataView(out.buffer);
  const ascii = (at: number, text: string) => out.set(encoder.encode(text), at);
  ascii(0, "RIFF");
  view.setUint32(4, out.length - 8, true);
  ascii(8, "WAVE");
  ascii(12, "fmt ");
  view.setUint32(16, fmt.length, true);
  out.set(fmt, 20);
  const data = 20 + fmt.length;
  ascii(data, "data");
  view.setUint32(data + 4, dataBytes, true);
  let at = data + 8;
  for (const part of parts) {
    out.set(part.data, at);
    at += part.data.length;
  }
  return out;
}

/** Languages written without spaces between words (of those the speech engines hear). */
const UNSPACED = new Set(["jpn", "chi_sim"]);

/**
 * The transcript a model's words make, with what a reader should know: the language of the text (`eng`
 * when translated; with `language: "auto"` the one heard in the most seconds, `detected_language`),
 * and warnings. `codes` maps the API's language codes to the model's: a language the model names that
 * this deployment does not list is not guessed at: `detected_language` is then null, `language` is
 * `und` (ISO 639-2: undetermined), and the warning `language_not_detected` names the model's code.
 * Words are joined as their language is written: the text's; with `auto` (untranslated), each
 * piece's as heard in it (a Japanese answer in a mostly English recording keeps its words unspaced).
 */
export function transcript(
  heard: Heard,
  context: {
    engine: string;
    /** The engine's name for messages ("Whisper"). */
    label: string;
    options: SpeechOptions;
    codes: Readonly<Record<string, string>>;
    warnings: AvWarning[];
  },
): AvResult {
  const { options } = context;
  const warnings = [...context.warnings];
  let detected: string | null | undefined;
  if (options.language === AUTO_LANGUAGE) {
    const [code] = [...heard.languages].sort((a, b) => b[1] - a[1])[0] ?? [];
    detected = code === undefined ? null : apiLanguage(code, context.codes);
    if (detected === null) {
      warnings.push({
        code: "language_not_detected",
        message:
          code === undefined
            ? `${context.label} did not name the language it heard (no speech?)`
            : `${context.label} heard "${code}", a language not among this deployment's (GET /v1/languages); the text is as it heard it, its language not named`,
      });
    }
  }
  const language = options.translate ? "eng" : detected === undefined ? options.language : (detected ?? "und");
  return {
    kind: "av",
    engine: context.engine,
    language,
    ...(detected === undefined ? {} : { detected_language: detected }),
    ...(options.translate ? { translated: true } : {}),
    duration_s: heard.durationS,
    segments:
      options.language === AUTO_LANGUAGE && !options.translate
        ? joinedAsHeard(segmentWords(heard.words), heard.words, (word) =>
            UNSPACED.has((word.language && apiLanguage(word.language, context.codes)) || language),
          )
        : segmentWords(heard.words, UNSPACED.has(language) ? "" : " "),
    warnings,
  };
}

/**
 * `segments`' texts joined word by word: no space between two words that are both `unspaced`, a space
 * otherwise. `segments` are `segmentWords(words)`: it keeps each channel's words in order and cuts
 * them into consecutive runs, so a channel's segments, in order, take its words in turn (a segment
 * whose words do not match keeps its text).
 */
function joinedAsHeard(
  segments: AvSegment[],
  words: readonly TimelineWord[],
  unspaced: (word: TimelineWord) => boolean,
): AvSegment[] {
  const channels = new Map<number | undefined, { words: TimelineWord[]; next: number }>();
  for (const word of words) {
    const channel = channels.get(word.channel);
    if (channel) channel.words.push(word);
    else channels.set(word.channel, { words: [word], next: 0 });
  }
  return segments.map((segment) => {
    const channel = channels.get(segment.channel);
    if (!channel) return segment;
    const own = channel.words.slice(channel.next, channel.next + segment.words.length);
    channel.next += segment.words.length;
    if (own.length !== segment.words.length || own.some((word, i) => word.text !== segment.words[i]?.text)) {
      return segment;
    }
    const text = own
      .map((word, i) => {
        const before = own[i - 1];
        return before === undefined || (unspaced(before) && unspaced(word)) ? word.text : ` ${word.text}`;
      })
      .join("");
    return { ...segment, text };
  });
}

/** The API's code for a model's language code ("en", "en-US", "zh"), or null when this deployment does not list it. */
function apiLanguage(code: string, codes: Readonly<Record<string, string>>): string | null {
  const base = code.toLowerCase().split(/[-_]/)[0];
  return Object.entries(codes).find(([, model]) => model === base)?.[0] ?? null;
}
