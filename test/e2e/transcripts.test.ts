import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AvResult, type JobProgress, Problem } from "../../contracts";
import { TALK_SENTENCES } from "../support/media-fixtures";
import { wordErrorRate } from "../support/text-metrics";
import { type E2eStack, startE2eStack } from "./stack";

/** Recordings over this many seconds are split into parts that run in parallel (fan-out). */
const FAN_OUT_SECONDS = 90;
const CALL_LEFT = "Good morning. I would like to order a new phone for my office please.";
const CALL_RIGHT = "Certainly. The new phone will arrive at your office on Monday morning.";
const CALL_RIGHT_START_S = 7;

let stack: E2eStack;
beforeAll(async () => {
  stack = await startE2eStack({ vars: { FAN_OUT_SECONDS: String(FAN_OUT_SECONDS) } });
});
afterAll(() => stack?.stop());

type Cue = { start: number; end: number; lines: string[] };

/** SRT's cues: number, `start --> end`, then the text's lines, blocks apart. */
function parseSrt(srt: string): Cue[] {
  const seconds = (stamp: string) => {
    const [h, m, s] = stamp.replace(",", ".").split(":").map(Number);
    return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
  };
  return srt
    .trim()
    .split(/\n\n+/)
    .map((block) => {
      const [, times = "", ...lines] = block.split("\n");
      const [start = "", end = ""] = times.split(" --> ");
      return { start: seconds(start), end: seconds(end), lines };
    });
}

describe("transcripts people read", () => {
  it("minutes of speech, in parts: progress in seconds, readable segments, subtitles by the rules", async () => {
    // Twelve rounds of the talk: about three minutes, so two parts of at most 90 s run in parallel.
    const mp3 = await stack.fixtures.talk("minutes", 12);
    const progress: JobProgress[] = [];
    const { job } = await stack.runToEnd(mp3, "minutes.mp3", (event) => {
      if (event.job.progress) progress.push(event.job.progress);
    });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.parts?.total).toBeGreaterThanOrEqual(2);

    // Progress counts seconds of audio over the parts, and moves at least every 15 s of it (or 10 %).
    const seconds = progress.filter((p) => p.unit === "seconds");
    expect(seconds.length).toBeGreaterThan(3);
    const total = seconds.at(-1)?.total ?? 0;
    expect(total).toBeGreaterThan(170);
    expect(seconds.at(-1)?.done).toBe(total);
    const dones = seconds.map((p) => p.done);
    const steps = dones.slice(1).map((done, i) => done - (dones[i] ?? 0));
    expect(Math.max(...steps), dones.join(" ")).toBeLessThanOrEqual(Math.max(15, total * 0.1));

    const result = AvResult.parse(await (await stack.result(job.id, "json")).json());
    const reference = Array(12).fill(TALK_SENTENCES.join(" ")).join(" ");
    expect(wordErrorRate(reference, result.segments.map((s) => s.text).join(" "))).toBeLessThan(0.35);
    const lengths = result.segments.map((s) => s.end - s.start).sort((a, b) => a - b);
    expect(lengths.at(-1)).toBeLessThanOrEqual(30);
    expect(lengths[Math.floor(lengths.length / 2)]).toBeLessThanOrEqual(12);

    const cues = parseSrt(await (await stack.result(job.id, "srt")).text());
    expect(cues.length).toBeGreaterThan(10);
    for (const [index, cue] of cues.entries()) {
      const context = JSON.stringify(cue);
      expect(cue.lines.length, context).toBeLessThanOrEqual(2);
      for (const line of cue.lines) expect(line.length, context).toBeLessThanOrEqual(42);
      expect(cue.end - cue.start, context).toBeLessThanOrEqual(7.001);
      if (index < cues.length - 1) expect(cue.end - cue.start, context).toBeGreaterThanOrEqual(0.833);
      expect(cue.start, context).toBeGreaterThanOrEqual(cues[index - 1]?.end ?? 0);
    }
    // Every word of the transcript is in the subtitles, once.
    const subtitleWords = cues.flatMap((cue) => cue.lines.join(" ").split(/\s+/)).filter(Boolean);
    expect(subtitleWords.length).toBe(result.segments.flatMap((s) => s.words).length);
  });

  it('channels: "split" labels each party of a stereo call, in JSON, text and VTT voices', async () => {
    const left = await stack.fixtures.speech("left.wav", CALL_LEFT);
    const right = await stack.fixtures.speech("right.wav", CALL_RIGHT);
    const call = await stack.fixtures.twoPartyCall("call.wav", left, right, CALL_RIGHT_START_S);
    const { job } = await stack.runToEnd(call, "call.wav", undefined, { channels: "split" });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.options.channels).toBe("split");

    const result = AvResult.parse(await (await stack.result(job.id, "json")).json());
    const said = (speaker: string) =>
      result.segments
        .filter((s) => s.speaker === speaker)
        .map((s) => s.text)
        .join(" ");
    expect(wordErrorRate(CALL_LEFT, said("Speaker 1"))).toBeLessThan(0.35);
    expect(wordErrorRate(CALL_RIGHT, said("Speaker 2"))).toBeLessThan(0.35);
    for (const segment of result.segments) {
      if (segment.speaker === "Speaker 1") expect(segment.end).toBeLessThan(CALL_RIGHT_START_S);
      else expect(segment.start).toBeGreaterThan(CALL_RIGHT_START_S);
    }
    const vtt = await (await stack.result(job.id, "vtt")).text();
    expect(vtt).toContain("<v Speaker 1>");
    expect(vtt).toContain("<v Speaker 2>");
    const text = await (await stack.result(job.id, "txt")).text();
    expect(text).toMatch(/^Speaker 1: /m);
    expect(text).toMatch(/^Speaker 2: /m);
  });

  it("the CLI sends the speech options: --split-channels and --vocabulary", async () => {
    const left = await stack.fixtures.speech("cli-left.wav", CALL_LEFT);
    const right = await stack.fixtures.speech("cli-right.wav", CALL_RIGHT);
    const call = await stack.fixtures.twoPartyCall("cli-call.wav", left, right, CALL_RIGHT_START_S);
    const args = ["submit", call, "--split-channels", "--vocabulary", "Verbatim", "--wait", "--format", "vtt"];
    const done = spawnSync(resolve("node_modules/.bin/tsx"), ["cli/verbatim.ts", ...args], {
      encoding: "utf8",
      env: { ...process.env, VERBATIM_URL: stack.url, VERBATIM_API_KEY: stack.key },
    });
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^WEBVTT/);
    expect(done.stdout).toContain("<v Speaker 2>");
    const id = /submitted (job_\w+)/.exec(done.stderr)?.[1] as string;
    expect((await stack.getJob(id)).options).toMatchObject({ channels: "split", vocabulary: ["Verbatim"] });
  });

  it("refuses at submission what this deployment's engine cannot do, and says what it can", async () => {
    const wav = await stack.fixtures.speech("short.wav", "Please send me the report by the end of the week.");
    const refused = async (options: object, code: string) => {
      const res = await stack.submit(wav, "short.wav", options);
      expect(res.status, JSON.stringify(options)).toBe(422);
      const problem = Problem.parse(await res.json());
      expect(problem.code, problem.detail).toBe(code);
      return problem.detail ?? "";
    };
    expect(await refused({ diarize: true }, "engine_unavailable")).toContain("options.diarize");
    expect(await refused({ translate: true }, "engine_unavailable")).toContain("options.translate");
    expect(await refused({ engine: "whisper" }, "engine_unavailable")).toContain("pocketsphinx");
    expect(await refused({ language: "deu" }, "language_unavailable")).toContain("eng");
    const image = await stack.fixtures.textImage("page.png", ["A page of text"]);
    const res = await stack.submit(image, "page.png", { channels: "split" });
    expect(res.status).toBe(422);
    expect(Problem.parse(await res.json()).code).toBe("validation_failed");
  });

  it("honours what it can do partly, and says so in the result: language auto and vocabulary", async () => {
    const wav = await stack.fixtures.speech("auto.wav", "The train to New York leaves from the main station.");
    const { job } = await stack.runToEnd(wav, "auto.wav", undefined, {
      language: "auto",
      vocabulary: ["Verbatim", "New York"],
    });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const result = AvResult.parse(await (await stack.result(job.id, "json")).json());
    expect(result.language).toBe("eng");
    expect(result.detected_language ?? null).toBeNull();
    expect(result.warnings.map((w) => w.code).sort()).toEqual(["language_not_detected", "vocabulary_unused"]);
    expect(result.warnings.find((w) => w.code === "vocabulary_unused")?.terms).toEqual(["Verbatim", "New York"]);
    expect(
      wordErrorRate("the train to new york leaves from the main station", result.segments.map((s) => s.text).join(" ")),
    ).toBeLessThan(0.35);
  });
});
