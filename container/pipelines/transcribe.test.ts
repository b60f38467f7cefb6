import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AvResult } from "../../contracts/results";
import { MediaFixtures } from "../../test/support/media-fixtures";
import { wordErrorRate } from "../../test/support/text-metrics";
import { finalEvent, postFile, progressEvents, type RunnerReply } from "../testing/ndjson-client";
import { type RunningRunner, startRunner } from "../testing/runner-harness";

/** Sentences flite speaks clearly enough for pocketsphinx's general English model. */
const SENTENCES = [
  "Good morning everyone. Today we will talk about the weather in the city.",
  "Please send me the report by the end of the week.",
  "The children played in the park all afternoon.",
  "The train to New York leaves from the main station.",
  "I would like a cup of coffee with milk and sugar.",
  "We need more time to finish the project.",
  "The company plans to open a new office next month.",
  "He reads the newspaper every morning before breakfast.",
  "The meeting starts at nine and ends before lunch.",
  "She bought a new car last year and drove it to work every day.",
];
const SHORT_TALK = SENTENCES.slice(0, 5);
/** Every sentence twice: about 70 s, so the default 60 s chunking cuts it in two. */
const LONG_TALK = [...SENTENCES, ...SENTENCES];
/** About three and a half minutes: long enough for several chunks and many segments. */
const MINUTES_TALK = [...LONG_TALK, ...LONG_TALK, ...LONG_TALK];
/** A call: one party on the left channel, the other answering on the right from this second on. */
const CALL_LEFT = SENTENCES.slice(0, 2);
const CALL_RIGHT = SENTENCES.slice(2, 4);
const CALL_RIGHT_START_S = 10;
/** Word error budget for flite speech; pocketsphinx gets these sentences nearly right. */
const MAX_WER = 0.35;

let fixtures: MediaFixtures;
let runner: RunningRunner;
/** A runner that never cuts a recording of these tests into chunks. */
let wholeRunner: RunningRunner;
const files: Record<string, string> = {};

beforeAll(async () => {
  fixtures = new MediaFixtures(await mkdtemp(join(tmpdir(), "verbatim-av-test-")));
  runner = await startRunner();
  wholeRunner = await startRunner({ chunkSeconds: 1000 });
  const spoken = await Promise.all(SENTENCES.map((sentence, index) => fixtures.speech(`s${index}.wav`, sentence)));
  const short = await fixtures.joinAudio("short.wav", spoken.slice(0, SHORT_TALK.length), 0.6);
  const longInputs = LONG_TALK.map((sentence) => spoken[SENTENCES.indexOf(sentence)] as string);
  const [mp3, mp4, long, noAudio, silence] = await Promise.all([
    fixtures.encodeAudio(short, "short.mp3"),
    fixtures.videoWithAudio(short, "short.mp4"),
    fixtures.joinAudio("long.wav", longInputs, 0.5),
    fixtures.silentVideo("no-audio.mp4", 2),
    fixtures.silence("silence.wav", 3),
  ]);
  const [minutes, callLeft, callRight] = await Promise.all([
    fixtures.joinAudio("minutes.wav", [long, long, long], 0.5),
    fixtures.joinAudio("call-left.wav", spoken.slice(0, CALL_LEFT.length), 0.6),
    fixtures.joinAudio("call-right.wav", spoken.slice(CALL_LEFT.length, CALL_LEFT.length + CALL_RIGHT.length), 0.6),
  ]);
  const call = await fixtures.twoPartyCall("call.wav", callLeft, callRight, CALL_RIGHT_START_S);
  Object.assign(files, { mp3, mp4, long, noAudio, silence, minutes, call });
});

afterAll(async () => {
  await runner?.close();
  await wholeRunner?.close();
  await rm(fixtures.dir, { recursive: true, force: true });
});

const transcribe = (file: string, contentType: string, language = "eng") =>
  postFile(`${runner.baseUrl}/v1/transcribe?language=${language}`, file, contentType);

function resultOf(reply: RunnerReply): AvResult {
  const last = finalEvent(reply);
  if (last.type !== "result" || last.result.kind !== "av")
    throw new Error(`expected an A/V result: ${JSON.stringify(last)}`);
  return last.result;
}

/** Segments in order, each within itself and within the file. */
function expectConsistentTimes(result: AvResult) {
  let previousEnd = 0;
  for (const segment of result.segments) {
    expect(segment.start).toBeGreaterThanOrEqual(previousEnd);
    expect(segment.end).toBeGreaterThan(segment.start);
    expect(segment.end).toBeLessThanOrEqual(result.duration_s);
    for (const word of segment.words) {
      expect(word.start).toBeGreaterThanOrEqual(segment.start);
      expect(word.end).toBeLessThanOrEqual(segment.end);
      expect(word.confidence).toBeGreaterThanOrEqual(0);
      expect(word.confidence).toBeLessThanOrEqual(1);
    }
    expect(segment.text).toBe(segment.words.map((word) => word.text).join(" "));
    previousEnd = segment.end;
  }
}

/** As expectConsistentTimes, for each channel's segments (channels are heard at once, so they overlap). */
function expectConsistentTimesPerChannel(result: AvResult) {
  for (const channel of new Set(result.segments.map((segment) => segment.channel))) {
    expectConsistentTimes({ ...result, segments: result.segments.filter((segment) => segment.channel === channel) });
  }
}

const transcript = (result: AvResult) => result.segments.map((segment) => segment.text).join(" ");

describe("POST /v1/transcribe", () => {
  it.each([
    ["an MP3", "mp3", "audio/mpeg"],
    ["an MP4 video", "mp4", "video/mp4"],
  ])("transcribes %s", async (_, file, contentType) => {
    const reply = await transcribe(files[file] as string, contentType);
    const probe = reply.events[0]?.event;
    expect(probe).toMatchObject({ type: "probe", pages: null });
    expect(probe?.type === "probe" && probe.duration_s).toBeGreaterThan(14);
    // Progress in seconds of audio, moving as utterances are recognized, not once per chunk.
    const progress = progressEvents(reply);
    const total = progress[0]?.total ?? 0;
    expect(total).toBeGreaterThan(14);
    expect(progress.every((event) => event.unit === "seconds" && event.total === total)).toBe(true);
    expect(progress.map(({ done }) => done)).toEqual([...progress.map(({ done }) => done)].sort((a, b) => a - b));
    expect(progress[0]?.done).toBe(0);
    expect(progress.at(-1)?.done).toBe(total);
    expect(progress.length).toBeGreaterThan(3);

    const result = resultOf(reply);
    expect(result).toMatchObject({ kind: "av", engine: "pocketsphinx", language: "eng" });
    expect(result.duration_s).toBeGreaterThan(14);
    expect(result.duration_s).toBeLessThan(20);
    expect(result.segments.length).toBeGreaterThanOrEqual(2);
    expect(wordErrorRate(SHORT_TALK.join(" "), transcript(result))).toBeLessThan(MAX_WER);
    expectConsistentTimes(result);
  });

  it("cuts long audio into chunks at pauses, transcribes them in parallel and streams progress", async () => {
    const reply = await transcribe(files.long as string, "audio/wav");
    const progress = progressEvents(reply);
    const total = progress[0]?.total ?? 0;
    expect(progress[0]).toEqual({ type: "progress", done: 0, total, unit: "seconds", stage: "transcribe" });
    expect(total).toBeGreaterThan(65);
    expect(progress.at(-1)?.done).toBe(total);
    // Two chunks, yet progress moves at least every 15 s of audio (or 10 % of it).
    const steps = progress.slice(1).map((event, i) => event.done - (progress[i]?.done ?? 0));
    expect(Math.max(...steps)).toBeLessThanOrEqual(Math.max(15, total * 0.1));
    expect(Math.min(...steps)).toBeGreaterThan(0);

    const result = resultOf(reply);
    expect(result.duration_s).toBeGreaterThan(65);
    expect(wordErrorRate(LONG_TALK.join(" "), transcript(result))).toBeLessThan(MAX_WER);
    expectConsistentTimes(result);
    // Words from the second chunk are placed on the file's timeline, not the chunk's.
    expect(result.segments.at(-1)?.end).toBeGreaterThan(60);

    // Lines are sent as work happens, not all at the end.
    const probeAt = reply.events[0]?.atMs ?? 0;
    const resultAt = reply.events.at(-1)?.atMs ?? 0;
    expect(resultAt - probeAt).toBeGreaterThan(1000);
  });

  it("transcribes only the span asked for, on the file's timeline (one part of a fan-out)", async () => {
    const planned = finalEvent(
      await postFile(`${runner.baseUrl}/v1/plan?seconds_per_part=30`, files.long as string, "audio/wav"),
    );
    if (planned.type !== "plan") throw new Error(JSON.stringify(planned));
    expect(planned.pages).toBeNull();
    expect(planned.duration_s).toBeGreaterThan(65);
    expect(planned.parts.length).toBeGreaterThanOrEqual(2);
    expect(planned.parts[0]).toMatchObject({ unit: "seconds", start: 0 });
    for (const [index, part] of planned.parts.entries()) {
      if (part.unit !== "seconds") throw new Error("expected time spans");
      const previous = planned.parts[index - 1];
      if (previous?.unit === "seconds") expect(part.start).toBe(previous.end);
    }
    expect(planned.parts.at(-1)).toMatchObject({ end: planned.duration_s });

    let heard = "";
    for (const part of planned.parts) {
      if (part.unit !== "seconds") continue;
      const url = `${runner.baseUrl}/v1/transcribe?language=eng&start_s=${part.start}&end_s=${part.end}`;
      const result = resultOf(await postFile(url, files.long as string, "audio/wav"));
      for (const segment of result.segments) {
        expect(segment.start).toBeGreaterThanOrEqual(part.start);
        expect(segment.end).toBeLessThanOrEqual(part.end + 0.05);
      }
      expect(result.duration_s).toBeCloseTo(part.end, 1);
      heard += ` ${transcript(result)}`;
    }
    // Parts cut at pauses: together they hold the whole talk.
    expect(wordErrorRate(LONG_TALK.join(" "), heard)).toBeLessThan(MAX_WER);
  });

  it("gives segments a person reads over minutes of speech, the same words chunked as whole", async () => {
    const chunked = resultOf(await transcribe(files.minutes as string, "audio/wav"));
    const whole = resultOf(
      await postFile(`${wholeRunner.baseUrl}/v1/transcribe?language=eng`, files.minutes as string, "audio/wav"),
    );
    expect(chunked.duration_s).toBeGreaterThan(200);
    for (const result of [chunked, whole]) {
      expectConsistentTimes(result);
      const lengths = result.segments.map((segment) => segment.end - segment.start).sort((a, b) => a - b);
      expect(lengths.at(-1)).toBeLessThanOrEqual(30);
      expect(lengths[Math.floor(lengths.length / 2)]).toBeLessThanOrEqual(12);
      expect(wordErrorRate(MINUTES_TALK.join(" "), transcript(result))).toBeLessThan(MAX_WER);
    }
    // Chunks are cut at pauses: no word is cut in two or heard twice where they meet.
    const words = (result: AvResult) => result.segments.flatMap((segment) => segment.words.map((word) => word.text));
    expect(wordErrorRate(words(whole).join(" "), words(chunked).join(" "))).toBeLessThan(0.03);
    expect(words(chunked).length).toBeGreaterThan(words(whole).length * 0.97);
    expect(words(chunked).length).toBeLessThan(words(whole).length * 1.03);
  });

  it("with channels=split hears each party of a call on its own channel, as its own speaker", async () => {
    const url = `${runner.baseUrl}/v1/transcribe?language=eng&channels=split`;
    const reply = await postFile(url, files.call as string, "audio/wav");
    const result = resultOf(reply);
    expectConsistentTimesPerChannel(result);
    const of = (speaker: string) => result.segments.filter((segment) => segment.speaker === speaker);
    const [left, right] = [of("Speaker 1"), of("Speaker 2")];
    expect(left.length + right.length).toBe(result.segments.length);
    expect(left.every((segment) => segment.channel === 0)).toBe(true);
    expect(right.every((segment) => segment.channel === 1)).toBe(true);
    // Each party is heard only in its own time: the left speaks first, the right after CALL_RIGHT_START_S.
    expect(Math.max(...left.map((segment) => segment.end))).toBeLessThan(CALL_RIGHT_START_S);
    expect(Math.min(...right.map((segment) => segment.start))).toBeGreaterThan(CALL_RIGHT_START_S);
    expect(wordErrorRate(CALL_LEFT.join(" "), left.map((s) => s.text).join(" "))).toBeLessThan(MAX_WER);
    expect(wordErrorRate(CALL_RIGHT.join(" "), right.map((s) => s.text).join(" "))).toBeLessThan(MAX_WER);
    // Progress counts seconds of the recording, both channels heard within them.
    const progress = progressEvents(reply);
    expect(progress.at(-1)?.done).toBe(progress[0]?.total);
    expect(progress[0]?.total).toBe(Math.round(result.duration_s));
    expect(progress.length).toBeGreaterThan(3);

    // Mixed down (the default), the same call is one voice with no labels.
    const mixed = resultOf(await transcribe(files.call as string, "audio/wav"));
    expect(mixed.segments.some((segment) => segment.speaker !== undefined)).toBe(false);
    expect(wordErrorRate([...CALL_LEFT, ...CALL_RIGHT].join(" "), transcript(mixed))).toBeLessThan(MAX_WER);
  });

  it("refuses a channels value it does not know", async () => {
    const reply = await postFile(
      `${runner.baseUrl}/v1/transcribe?language=eng&channels=both`,
      files.call as string,
      "audio/wav",
    );
    expect(reply.status).toBe(422);
  });

  it.each([
    [
      "an HLS playlist naming a local file and the cloud metadata address",
      "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXTINF:10,\nhttp://169.254.169.254/latest/meta-data/\n#EXT-X-ENDLIST\n",
    ],
    ["an ffconcat script naming a local file", "ffconcat version 1.0\nfile '/etc/passwd'\n"],
  ])("fails %s as an input error, opening nothing it names", async (_, text) => {
    const path = fixtures.path(`hostile-${text.length}.mp3`);
    await writeFile(path, text);
    const reply = await transcribe(path, "audio/mpeg");
    expect(finalEvent(reply)).toMatchObject({ type: "error", code: "media_corrupt", retryable: false });
    // Nothing of the named file reached the answer.
    expect(JSON.stringify(reply.events)).not.toMatch(/root:|daemon:/);
  });

  it("opens a file with the demuxer of its sniffed type, not whatever ffmpeg would guess", async () => {
    // WAV bytes labeled as MP3: read as MP3 they are not audio, so the job fails on its input.
    const reply = await transcribe(files.silence as string, "audio/mpeg");
    expect(finalEvent(reply)).toMatchObject({ type: "error", code: "media_corrupt", retryable: false });
    expect(resultOf(await transcribe(files.silence as string, "audio/wav")).segments).toEqual([]);
  });

  it("plans a recording that fits one part from its header alone, without decoding it", async () => {
    const reply = await postFile(`${runner.baseUrl}/v1/plan?seconds_per_part=600`, files.long as string, "audio/wav");
    const planned = finalEvent(reply);
    if (planned.type !== "plan") throw new Error(JSON.stringify(planned));
    expect(planned.parts).toEqual([{ unit: "seconds", start: 0, end: planned.duration_s }]);
    expect(planned.duration_s).toBeGreaterThan(65);
    // Decoding for pauses would have sent its `probe` first; reading the header sends only the plan.
    expect(reply.events.map(({ event }) => event.type)).toEqual(["plan"]);
  });

  it("refuses a span that ends before it starts", async () => {
    const reply = await postFile(
      `${runner.baseUrl}/v1/transcribe?language=eng&start_s=9&end_s=3`,
      files.long as string,
      "audio/wav",
    );
    expect(reply.status).toBe(422);
  });

  it("answers silence with a result holding no segments", async () => {
    const result = resultOf(await transcribe(files.silence as string, "audio/wav"));
    expect(result.segments).toEqual([]);
    expect(result.duration_s).toBeCloseTo(3, 1);
  });

  it("answers a video without an audio stream with media_no_content", async () => {
    const reply = await transcribe(files.noAudio as string, "video/mp4");
    expect(finalEvent(reply)).toMatchObject({ type: "error", code: "media_no_content", retryable: false });
  });

  it("answers random bytes labeled as MP3 with media_corrupt", async () => {
    const reply = await transcribe(await fixtures.garbage("garbage.mp3", 20_000), "audio/mpeg");
    expect(finalEvent(reply)).toMatchObject({ type: "error", code: "media_corrupt", retryable: false });
    expect(reply.events).toHaveLength(1);
  });

  it("refuses languages the speech engine does not have", async () => {
    const reply = await transcribe(files.mp3 as string, "audio/mpeg", "deu");
    expect(reply.status).toBe(422);
    expect(JSON.parse(reply.body)).toMatchObject({ code: "validation_failed" });
  });

  it("refuses media types that are not audio or video", async () => {
    const reply = await transcribe(files.mp3 as string, "application/pdf");
    expect(reply.status).toBe(415);
  });
});

describe("POST /v1/audio-chunks", () => {
  it("sends the speech audio as WAV chunks cut at pauses, covering the whole file in order", async () => {
    const reply = await postFile(`${runner.baseUrl}/v1/audio-chunks`, files.long as string, "audio/wav");
    expect(reply.status).toBe(200);
    const types = reply.events.map(({ event }) => event.type).join(" ");
    expect(types).toMatch(/^probe( audio_chunk)+ audio_end$/);
    const chunks = reply.events.flatMap(({ event }) => (event.type === "audio_chunk" ? [event] : []));
    const end = reply.events.at(-1)?.event;
    if (end?.type !== "audio_end") throw new Error(types);
    expect(end.chunks).toBe(chunks.length);
    expect(chunks[0]?.start_s).toBe(0);
    for (const [i, chunk] of chunks.entries()) {
      if (i > 0) expect(chunk.start_s).toBe(chunks[i - 1]?.end_s);
      // Progress moves as chunks are recognized elsewhere: each at most 15 s, or 10 % of the recording.
      expect(chunk.end_s - chunk.start_s).toBeLessThanOrEqual(Math.max(15, end.duration_s * 0.1) + 0.01);
    }
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    expect(chunks.at(-1)?.end_s).toBeCloseTo(end.duration_s, 1);

    // Each chunk is a WAV file that itself holds that stretch of speech.
    const dir = await mkdtemp(join(tmpdir(), "verbatim-chunks-"));
    let heard = "";
    for (const chunk of chunks) {
      const wav = join(dir, `c${chunk.index}.wav`);
      await writeFile(wav, Buffer.from(chunk.wav_base64, "base64"));
      const { stdout } = await promisify(execFile)("ffprobe", [
        "-v",
        "error",
        "-show_entries",
        "stream=sample_rate,channels",
        "-of",
        "csv=p=0",
        wav,
      ]);
      expect(stdout.trim()).toBe("16000,1");
      const transcribed = await postFile(`${runner.baseUrl}/v1/transcribe?language=eng`, wav, "audio/wav");
      heard += ` ${transcript(resultOf(transcribed))}`;
    }
    expect(wordErrorRate(LONG_TALK.join(" "), heard)).toBeLessThan(MAX_WER);
  });

  it("with channels=split sends each channel's chunks, labelled with their channel", async () => {
    const reply = await postFile(`${runner.baseUrl}/v1/audio-chunks?channels=split`, files.call as string, "audio/wav");
    const chunks = reply.events.flatMap(({ event }) => (event.type === "audio_chunk" ? [event] : []));
    // Each channel's chunks in time order from the start, the left channel's first.
    for (const channel of [0, 1]) {
      const own = chunks.filter((chunk) => chunk.channel === channel);
      expect(own[0]?.start_s).toBe(0);
      for (const [i, chunk] of own.entries()) if (i > 0) expect(chunk.start_s).toBe(own[i - 1]?.end_s);
    }
    expect(chunks.map((chunk) => chunk.channel)).toEqual([...chunks.map((chunk) => chunk.channel)].sort());
    expect(chunks.every((chunk) => chunk.total === chunks.length)).toBe(true);
  });

  it("answers a file without audio with media_no_content", async () => {
    const reply = await postFile(`${runner.baseUrl}/v1/audio-chunks`, files.noAudio as string, "video/mp4");
    expect(reply.events.map(({ event }) => event.type)).toEqual(["error"]);
    expect(reply.events[0]?.event).toMatchObject({ code: "media_no_content" });
  });
});
