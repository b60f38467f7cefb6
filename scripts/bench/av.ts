import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { parseArgs, promisify } from "node:util";
import { createVerbatimClient } from "../../client";
import { parsePocketsphinxTimes } from "../../container/engines/pocketsphinx-output";
import { MediaFixtures, TALK_SENTENCES } from "../../test/support/media-fixtures";
import { wordErrorRate } from "../../test/support/text-metrics";
import { benchWorkDir, createBenchKey, startBenchStack, submitAndFetch } from "./bench-stack";
import { barChart } from "./chart";
import { printTable } from "./report";

/**
 * `npm run bench:av [-- --minutes 10]`: that many minutes of speech (flite's `slt` voice; an MP3, and
 * the same audio in an MP4 with a video track) through the whole platform (upload → succeeded → txt
 * and srt fetched), against one single-pass run of the same engine (pocketsphinx) on the whole
 * recording, in the same run. Prints times, the speed-up (goal: ≥ 1.7× on 2 cores), word error
 * rates (goal: no worse than the single pass by more than 2 points) and real-time factors.
 */
const run = promisify(execFile);
const { values } = parseArgs({ options: { minutes: { type: "string", default: "10" } } });
const MINUTES = Number(values.minutes);
const MODEL = "/usr/share/pocketsphinx/model/en-us";

const time = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
  const t = performance.now();
  const value = await fn();
  return [(performance.now() - t) / 1000, value];
};

const work = benchWorkDir("av");
const fixtures = new MediaFixtures(work);
let stack: Awaited<ReturnType<typeof startBenchStack>> | null = null;
try {
  // One round of the sentences is about 15 s.
  const repeats = Math.max(1, Math.round((MINUTES * 60) / 15));
  console.log(`bench: making ${MINUTES} minutes of speech`);
  const mp3 = await fixtures.talk("talk", repeats);
  const mp4 = await fixtures.videoWithAudio(mp3, "talk.mp4");
  const reference = Array(repeats).fill(TALK_SENTENCES.join(" ")).join(" ");
  const { stdout: durationOut } = await run("ffprobe", [
    "-v",
    "error",
    "-show_entries",
    "format=duration",
    "-of",
    "csv=p=0",
    mp3,
  ]);
  const duration = Number(durationOut.trim());

  // The baseline: the whole recording decoded once and recognized in one pass.
  console.log("bench: single pass");
  const [single, singleText] = await time(async () => {
    const raw = fixtures.path("talk.raw");
    await run("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", mp3, "-ac", "1", "-ar", "16000", "-f", "s16le", raw]);
    const { stdout } = await run(
      "pocketsphinx_continuous",
      [
        ...["-infile", raw, "-time", "yes", "-logfn", "/dev/null"],
        ...["-hmm", `${MODEL}/en-us`, "-lm", `${MODEL}/en-us.lm.bin`, "-dict", `${MODEL}/cmudict-en-us.dict`],
      ],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    return parsePocketsphinxTimes(stdout)
      .map((s) => s.text)
      .join(" ");
  });

  console.log("bench: starting the stack");
  const key = createBenchKey();
  stack = await startBenchStack(28987);
  const client = createVerbatimClient({ baseUrl: stack.url, token: key });
  const platform = (file: string, name: string) => submitAndFetch(client, file, name, ["txt", "srt"]);
  console.log("bench: the platform, MP3");
  const [viaMp3, mp3Text] = await time(() => platform(mp3, "talk.mp3"));
  console.log("bench: the platform, MP4");
  const [viaMp4, mp4Text] = await time(() => platform(mp4, "talk.mp4"));

  const row = (name: string, seconds: number, text: string) => ({
    "": name,
    seconds: seconds.toFixed(1),
    "speed-up vs single pass": (single / seconds).toFixed(2),
    "real-time factor": (seconds / duration).toFixed(3),
    "word error rate": wordErrorRate(reference, text).toFixed(3),
  });
  printTable(`${(duration / 60).toFixed(1)} minutes of speech, pocketsphinx, ${availableParallelism()} cores`, [
    row("single pass (ffmpeg + one pocketsphinx)", single, singleText),
    row("Verbatim, MP3 (upload → txt + srt)", viaMp3, mp3Text),
    row("Verbatim, MP4 (upload → txt + srt)", viaMp4, mp4Text),
  ]);
  const points = (text: string) =>
    (100 * (wordErrorRate(reference, text) - wordErrorRate(reference, singleText))).toFixed(1);
  console.log(
    `\ngoals: speed-up ≥ 1.7×: MP3 ${(single / viaMp3).toFixed(2)}×, MP4 ${(single / viaMp4).toFixed(2)}×; WER within 2 points of the single pass: MP3 ${points(mp3Text)}, MP4 ${points(mp4Text)} points`,
  );
  mkdirSync("docs/performance", { recursive: true });
  writeFileSync(
    "docs/performance/av.svg",
    barChart({
      title: `Seconds per minute of speech, ${(duration / 60).toFixed(1)} min, pocketsphinx (npm run bench:av)`,
      unit: "s / min",
      bars: [
        { label: "single pass (ffmpeg + one pocketsphinx)", value: single / (duration / 60) },
        { label: "Verbatim, MP3", value: viaMp3 / (duration / 60) },
        { label: "Verbatim, MP4", value: viaMp4 / (duration / 60) },
      ],
    }),
  );
  console.log("wrote docs/performance/av.svg");
} finally {
  stack?.stop();
  rmSync(work, { recursive: true, force: true });
}
