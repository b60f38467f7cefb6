import { readFile, rm } from "node:fs/promises";
import type { AvResult, AvSegment } from "../../contracts/results";
import type { RunnerEvent } from "../../contracts/runner";
import { ffmpeg, type TimeSpan } from "../engines/ffmpeg";
import type { SpeechEngine } from "../engines/speech-engine";
import { mapConcurrent } from "../map-concurrent";
import { planChunks } from "./chunk-plan";
import { decoding, mediaNoContent } from "./failures";
import type { Job } from "./job";

/** Quieter than this counts as silence; speech pauses in ordinary recordings sit well below it. */
const SILENCE_NOISE_DB = -35;
/** Shorter dips are gaps inside words or between syllables, not places to cut. */
const SILENCE_MIN_S = 0.3;

export interface TranscribeOptions {
  speech: SpeechEngine;
  /** Target chunk length; chunks are recognized in parallel. */
  chunkSeconds: number;
  /** Only this part of the file (a fanned-out job's part); timestamps stay the whole file's. */
  span?: TimeSpan;
}

/**
 * Transcribes the audio of an audio or video file: probe, decode to speech-format audio, cut into chunks at
 * pauses, recognize the chunks in parallel, and put the segments back on the file's timeline. A `progress`
 * event follows each chunk. No speech at all is a valid, empty result.
 */
export async function transcribeMedia(job: Job, { speech, chunkSeconds, span }: TranscribeOptions): Promise<AvResult> {
  const { run } = job;
  const { wavPath, durationS, chunks, offsetS } = await prepareSpeech(job, chunkSeconds, span);

  let done = 0;
  job.emit({ type: "progress", done, total: chunks.length, unit: "chunks", stage: "transcribe" });
  const segmentsPerChunk = await mapConcurrent(chunks, job.parallelism, async (chunk, index) => {
    const rawPath = job.path(`chunk-${index}.pcm`);
    await ffmpeg.cutRawPcm(run, wavPath, chunk.start, chunk.end - chunk.start, rawPath);
    const segments = await speech.transcribe(run, rawPath, job.language);
    await rm(rawPath); // Chunks of a long recording add up to another copy of it.
    job.emit({ type: "progress", done: ++done, total: chunks.length, unit: "chunks", stage: "transcribe" });
    return segments.map((segment) => shift(segment, offsetS + chunk.start));
  });

  return {
    kind: "av",
    engine: speech.name,
    language: job.language,
    duration_s: toMs(offsetS + durationS),
    segments: segmentsPerChunk.flat().sort((a, b) => a.start - b.start),
    warnings: [],
  };
}

/**
 * For a speech engine outside the runner (Workers AI): the same decoding and pause-aligned cutting, with
 * each chunk sent as a WAV file in time order. The consumer recognizes them and puts the timeline together.
 */
export async function streamSpeechChunks(
  job: Job,
  chunkSeconds: number,
  span?: TimeSpan,
): Promise<Extract<RunnerEvent, { type: "audio_end" }>> {
  const { wavPath, durationS, chunks, offsetS } = await prepareSpeech(job, chunkSeconds, span);
  for (const [index, chunk] of chunks.entries()) {
    const chunkPath = job.path(`chunk-${index}.wav`);
    await ffmpeg.cutWav(job.run, wavPath, chunk.start, chunk.end - chunk.start, chunkPath);
    const wav = await readFile(chunkPath);
    await rm(chunkPath);
    job.emit({
      type: "audio_chunk",
      index,
      total: chunks.length,
      start_s: toMs(offsetS + chunk.start),
      end_s: toMs(offsetS + chunk.end),
      wav_base64: wav.toString("base64"),
    });
  }
  return { type: "audio_end", duration_s: toMs(offsetS + durationS), chunks: chunks.length };
}

/**
 * Probe, decode to speech-format audio (only `span` of it when given), and plan chunks cut at pauses.
 * Chunk times are relative to the decoded audio, which starts at `offsetS` on the file's timeline.
 */
export async function prepareSpeech(job: Job, chunkSeconds: number, span?: TimeSpan) {
  const { run } = job;
  const probe = await decoding("The file could not be read", ffmpeg.probe(run, job.inputPath, job.mediaType));
  if (!probe.hasAudio) throw mediaNoContent("The file has no audio stream");
  job.emit({ type: "probe", pages: null, duration_s: probe.durationS });

  const wavPath = job.path("speech.wav");
  await decoding(
    "The audio could not be decoded",
    ffmpeg.extractSpeechAudio(run, job.inputPath, wavPath, { span, mediaType: job.mediaType }),
  );
  // The decoded audio's length is exact even when the container's header is missing or wrong.
  const durationS = (await ffmpeg.probe(run, wavPath)).durationS ?? 0;
  const silences = await ffmpeg.detectSilences(run, wavPath, {
    noiseDb: SILENCE_NOISE_DB,
    minSeconds: SILENCE_MIN_S,
    durationS,
  });
  const chunks = planChunks(durationS, silences, { targetS: chunkSeconds, windowS: chunkSeconds / 4 });
  return { wavPath, durationS, chunks, offsetS: span?.start ?? 0 };
}

/** Moves a chunk-relative segment onto the file's timeline. */
function shift(segment: AvSegment, offsetS: number): AvSegment {
  return {
    start: toMs(segment.start + offsetS),
    end: toMs(segment.end + offsetS),
    text: segment.text,
    words: segment.words.map((word) => ({ ...word, start: toMs(word.start + offsetS), end: toMs(word.end + offsetS) })),
  };
}

function toMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
