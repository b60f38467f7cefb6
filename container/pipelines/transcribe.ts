import { readFile, rm } from "node:fs/promises";
import type { AvResult } from "../../contracts/results";
import type { RunnerEvent } from "../../contracts/runner";
import { type SpokenWord, segmentWords, speakerLabel, wordsOf } from "../../contracts/segments";
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
/** Progress moves at least this often (seconds of audio), and at least every 5 % of it. */
const PROGRESS_STEP_S = 10;

/** `split`: each channel of the file on its own, as its own speaker; `mix`: all channels mixed down. */
export type ChannelMode = "mix" | "split";

export interface TranscribeOptions {
  speech: SpeechEngine;
  /** Target chunk length; chunks are recognized in parallel. */
  chunkSeconds: number;
  /** Only this part of the file (a fanned-out job's part); timestamps stay the whole file's. */
  span?: TimeSpan | undefined;
  channels?: ChannelMode;
}

/**
 * Transcribes the audio of an audio or video file: probe, decode to speech-format audio (each channel
 * on its own with `channels: "split"`), cut into chunks at pauses, recognize the chunks in parallel, and
 * put the words back on the file's timeline in segments a person reads (`segmentWords`). Progress
 * counts seconds of audio recognized, moving within chunks as the engine reports. No speech at all
 * is a valid, empty result.
 */
export async function transcribeMedia(
  job: Job,
  { speech, chunkSeconds, span, channels = "mix" }: TranscribeOptions,
): Promise<AvResult> {
  const { run } = job;
  const { durationS, offsetS, tracks } = await prepareSpeech(job, chunkSeconds, { span, channels });
  const work = tracks.flatMap((track) => track.chunks.map((chunk) => ({ track, chunk })));
  const progress = audioProgress(job, durationS, tracks.length, work.length);

  const wordsPerChunk = await mapConcurrent(work, job.parallelism, async ({ track, chunk }, index) => {
    const rawPath = job.path(`chunk-${index}.pcm`);
    const length = chunk.end - chunk.start;
    await ffmpeg.cutRawPcm(run, track.wavPath, chunk.start, length, rawPath);
    const segments = await speech.transcribe(run, rawPath, job.language, (seconds) =>
      progress.heard(index, Math.min(seconds, length)),
    );
    await rm(rawPath); // Chunks of a long recording add up to another copy of it.
    progress.finished(index, length);
    const voice =
      track.channel === undefined ? {} : { channel: track.channel, speaker: speakerLabel({ channel: track.channel }) };
    return wordsOf(segments).map(
      (word): SpokenWord => ({
        ...word,
        start: toMs(word.start + offsetS + chunk.start),
        end: toMs(word.end + offsetS + chunk.start),
        ...voice,
      }),
    );
  });

  return {
    kind: "av",
    engine: speech.name,
    language: job.language,
    duration_s: toMs(offsetS + durationS),
    segments: segmentWords(wordsPerChunk.flat().sort((a, b) => a.start - b.start)),
    warnings: [],
  };
}

/**
 * Progress in whole seconds of the recording over `chunks` recognized in parallel (of `tracks` channels
 * heard on their own, each counting its share): sent at the start, whenever it moved by a step (10 s, or
 * 5 % of a shorter recording), and as each chunk finishes if it moved at all. A fan-out part's total is its span.
 */
function audioProgress(job: Job, durationS: number, tracks: number, chunks: number) {
  const total = Math.round(durationS);
  const step = Math.max(1, Math.min(PROGRESS_STEP_S, total * 0.05));
  const heard = new Array<number>(chunks).fill(0);
  let finished = 0;
  let sent = 0;
  const send = (force: boolean) => {
    const sum = heard.reduce((a, b) => a + b, 0) / tracks;
    const done = finished === chunks ? total : Math.min(total, Math.floor(sum));
    // Only news: a chunk that ends where its words already brought progress sends nothing.
    if (done <= sent || (!force && done - sent < step)) return;
    sent = done;
    job.emit({ type: "progress", done, total, unit: "seconds", stage: "transcribe" });
  };
  job.emit({ type: "progress", done: 0, total, unit: "seconds", stage: "transcribe" });
  return {
    heard(index: number, seconds: number) {
      heard[index] = Math.max(heard[index] ?? 0, seconds);
      send(false);
    },
    finished(index: number, length: number) {
      heard[index] = length;
      finished += 1;
      send(true);
    },
  };
}

/**
 * For a speech engine outside the runner (Workers AI): the same decoding and pause-aligned cutting, with
 * each chunk sent as a WAV file in time order (each channel's in turn with `channels: "split"`, labelled
 * with their channel). The consumer recognizes them and puts the timeline together. Its progress moves
 * as chunks are recognized, so chunks are planned at 8 % of the recording (a cut may move a quarter of
 * that to a pause: at most 10 %), at least 12 s (at most 15 s: long enough to hear well) and at most
 * `chunkSeconds`.
 */
export async function streamSpeechChunks(
  job: Job,
  chunkSeconds: number,
  { span, channels = "mix" }: { span?: TimeSpan | undefined; channels?: ChannelMode } = {},
): Promise<Extract<RunnerEvent, { type: "audio_end" }>> {
  const { durationS, tracks, offsetS } = await prepareSpeech(job, chunkSeconds, {
    span,
    channels,
    targetOf: (trackS) => Math.min(chunkSeconds, Math.max(12, trackS * 0.08)),
  });
  const work = tracks.flatMap((track) => track.chunks.map((chunk) => ({ track, chunk })));
  for (const [index, { track, chunk }] of work.entries()) {
    const chunkPath = job.path(`chunk-${index}.wav`);
    await ffmpeg.cutWav(job.run, track.wavPath, chunk.start, chunk.end - chunk.start, chunkPath);
    const wav = await readFile(chunkPath);
    await rm(chunkPath);
    job.emit({
      type: "audio_chunk",
      index,
      total: work.length,
      start_s: toMs(offsetS + chunk.start),
      end_s: toMs(offsetS + chunk.end),
      ...(track.channel === undefined ? {} : { channel: track.channel }),
      wav_base64: wav.toString("base64"),
    });
  }
  return { type: "audio_end", duration_s: toMs(offsetS + durationS), chunks: work.length };
}

/** Decoded speech audio and its chunks: the mix of all channels (`channel` undefined), or one channel. */
interface SpeechTrack {
  channel: number | undefined;
  wavPath: string;
  chunks: TimeSpan[];
}

/** Most channels `channels: "split"` hears on their own (a 7.1 film has 8). */
const MAX_SPLIT_CHANNELS = 8;

/**
 * Probe, decode to speech-format audio (only `span` of it when given; each channel on its own with
 * `split`), and plan chunks cut at pauses. Chunk times are relative to the decoded audio, which starts
 * at `offsetS` on the file's timeline.
 */
export async function prepareSpeech(
  job: Job,
  chunkSeconds: number,
  {
    span,
    channels = "mix",
    targetOf = () => chunkSeconds,
  }: {
    span?: TimeSpan | undefined;
    channels?: ChannelMode;
    /** The chunk length wanted for a track of this many seconds (`chunkSeconds` unless given). */
    targetOf?: (trackS: number) => number;
  } = {},
): Promise<{ durationS: number; offsetS: number; tracks: SpeechTrack[] }> {
  const { run } = job;
  const probe = await decoding("The file could not be read", ffmpeg.probe(run, job.inputPath, job.mediaType));
  if (!probe.hasAudio) throw mediaNoContent("The file has no audio stream");
  job.emit({ type: "probe", pages: null, duration_s: probe.durationS });

  const wanted =
    channels === "split"
      ? Array.from({ length: Math.min(probe.channels, MAX_SPLIT_CHANNELS) }, (_, channel) => channel)
      : [undefined];
  let durationS = 0;
  const tracks = await Promise.all(
    wanted.map(async (channel): Promise<SpeechTrack> => {
      const wavPath = job.path(channel === undefined ? "speech.wav" : `speech-${channel}.wav`);
      await decoding(
        "The audio could not be decoded",
        ffmpeg.extractSpeechAudio(run, job.inputPath, wavPath, { span, mediaType: job.mediaType, channel }),
      );
      // The decoded audio's length is exact even when the container's header is missing or wrong.
      const trackS = (await ffmpeg.probe(run, wavPath)).durationS ?? 0;
      durationS = Math.max(durationS, trackS);
      const silences = await ffmpeg.detectSilences(run, wavPath, {
        noiseDb: SILENCE_NOISE_DB,
        minSeconds: SILENCE_MIN_S,
        durationS: trackS,
      });
      const targetS = targetOf(trackS);
      const chunks = planChunks(trackS, silences, { targetS, windowS: targetS / 4 });
      return { channel, wavPath, chunks };
    }),
  );
  return { durationS, offsetS: span?.start ?? 0, tracks };
}

function toMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
