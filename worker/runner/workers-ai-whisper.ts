import { type AvResult, type AvSegment, WHISPER_LANGUAGES } from "../../contracts";
import { type RunnerInput, type RunnerProgress, runnerEvents, WorkError } from "./runner-client";
import type { RunnerEndpoint } from "./runner-endpoint";

export const WHISPER_MODEL = "@cf/openai/whisper-large-v3-turbo";

/** Chunks recognized at once; Workers AI queues beyond its own limits. */
const IN_FLIGHT = 4;

type WhisperOutput = Pick<Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output, "text" | "segments">;

/**
 * Whisper's segments for one chunk, moved onto the file's timeline. Whisper gives no per-word
 * confidence; each word gets its segment's mean token probability, exp(avg_logprob).
 */
export function whisperSegments(output: WhisperOutput, offsetS: number): AvSegment[] {
  const at = (s: number | undefined) => Math.round(((s ?? 0) + offsetS) * 1000) / 1000;
  return (output.segments ?? [])
    .map((segment) => {
      const confidence = Math.min(1, Math.max(0, Math.exp(segment.avg_logprob ?? 0)));
      const words = (segment.words ?? [])
        .filter((w) => (w.word ?? "").trim() !== "")
        .map((w) => ({ text: (w.word ?? "").trim(), start: at(w.start), end: at(w.end), confidence }));
      return { start: at(segment.start), end: at(segment.end), text: (segment.text ?? "").trim(), words };
    })
    .filter((segment) => segment.text !== "");
}

/**
 * Transcription with Whisper on Workers AI: the runner decodes the file and cuts it at pauses; each
 * chunk goes to the model (a few at once) and the segments are put back on the file's timeline.
 */
export async function transcribeWithWorkersAi(
  ai: Ai,
  endpoint: RunnerEndpoint,
  input: RunnerInput & { language: string },
  onProgress: (event: RunnerProgress) => Promise<void>,
): Promise<AvResult> {
  // One language, one the model knows: anything else fails the job as bad input (as the runner's own
  // engine does), rather than being transcribed in whatever language the model guesses.
  const language = WHISPER_LANGUAGES[input.language];
  if (!language) {
    const supported = Object.keys(WHISPER_LANGUAGES).join(", ");
    throw new WorkError(
      "validation_failed",
      `Unknown speech language "${input.language}"; supported: ${supported}`,
      "input",
    );
  }
  const tasks: Promise<void>[] = [];
  const running = new Set<Promise<void>>();
  const segments: AvSegment[] = [];
  let done = 0;
  for await (const event of runnerEvents(endpoint, "/v1/audio-chunks", input)) {
    if (event.type === "probe") await onProgress(event);
    if (event.type === "audio_chunk") {
      const task = (async () => {
        let output: WhisperOutput;
        try {
          output = await ai.run(WHISPER_MODEL, { audio: event.wav_base64, language });
        } catch (err) {
          throw new WorkError("engine_failed", `Workers AI: ${String(err)}`, "transient");
        }
        segments.push(...whisperSegments(output, event.start_s));
        done += 1;
        await onProgress({ type: "progress", done, total: event.total, unit: "chunks", stage: "transcribe" });
      })();
      tasks.push(task);
      running.add(task);
      // Settled tasks leave the window; their failures surface through `tasks` below.
      void task.then(
        () => running.delete(task),
        () => running.delete(task),
      );
      if (running.size >= IN_FLIGHT) await Promise.race(running).catch(() => undefined);
    }
    if (event.type === "audio_end") {
      // Every chunk must be recognized: one failure fails the attempt, no gap in the transcript.
      await Promise.all(tasks);
      return {
        kind: "av",
        engine: `workers-ai:${WHISPER_MODEL}`,
        language: input.language,
        duration_s: event.duration_s,
        segments: segments.sort((a, b) => a.start - b.start),
        warnings: [],
      };
    }
  }
  throw new WorkError("engine_failed", "the runner's chunk stream ended early", "transient");
}
