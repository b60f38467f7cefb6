import { z } from "zod";
import { AUTO_LANGUAGE, type AvResult, type AvWarning, WHISPER_LANGUAGES } from "../../contracts";
import type { RunnerInput, RunnerProgress } from "./runner-client";
import { WorkError } from "./runner-client";
import type { RunnerEndpoint } from "./runner-endpoint";
import {
  fitTerms,
  type HeardWord,
  hearChunks,
  type PieceResult,
  type SpeechOptions,
  spreadWords,
  transcript,
  vocabularyUnused,
} from "./workers-ai-speech";

export const WHISPER_MODEL = "@cf/openai/whisper-large-v3-turbo";

/**
 * Whisper's prompt limit in tokens: its decoder holds 448 tokens, and a prompt keeps at most the last
 * 448 / 2 - 1 of them (openai-whisper, faster-whisper), dropping the beginning without a word.
 */
export const WHISPER_PROMPT_TOKENS = 223;

/** Chunks recognized at once; Workers AI queues beyond its own limits. */
const IN_FLIGHT = 4;

type WhisperInput = Ai_Cf_Openai_Whisper_Large_V3_Turbo_Input;

/**
 * Whisper's answer, shaped as the generated `Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output` (the
 * `satisfies` keeps the two in step): parsing checks the answer instead of trusting the type, so an
 * answer of another shape fails the attempt as `engine_failed` rather than as a TypeError.
 */
export const WhisperOutput = z.object({
  transcription_info: z
    .object({
      language: z.string().optional(),
      language_probability: z.number().optional(),
      duration: z.number().optional(),
      duration_after_vad: z.number().optional(),
    })
    .optional(),
  text: z.string(),
  word_count: z.number().optional(),
  segments: z
    .array(
      z.object({
        start: z.number().optional(),
        end: z.number().optional(),
        text: z.string().optional(),
        temperature: z.number().optional(),
        avg_logprob: z.number().optional(),
        compression_ratio: z.number().optional(),
        no_speech_prob: z.number().optional(),
        words: z
          .array(z.object({ word: z.string().optional(), start: z.number().optional(), end: z.number().optional() }))
          .optional(),
      }),
    )
    .optional(),
  vtt: z.string().optional(),
}) satisfies z.ZodType<Ai_Cf_Openai_Whisper_Large_V3_Turbo_Output>;
export type WhisperOutput = z.infer<typeof WhisperOutput>;

/**
 * What is sent with every chunk: voice activity detection on (silence and noise are where Whisper
 * makes text up); the vocabulary as `initial_prompt` (the terms that fit its limit, joined by commas,
 * as a list of spellings to follow); `task: "translate"` for English text; the language, unless
 * Whisper is to find it (`auto`).
 */
export function whisperRequest(options: SpeechOptions): {
  input: Omit<WhisperInput, "audio">;
  warnings: AvWarning[];
} {
  const { used, unused } = fitTerms(options.vocabulary ?? [], WHISPER_PROMPT_TOKENS);
  const input: Omit<WhisperInput, "audio"> = {
    vad_filter: true,
    ...(options.translate ? { task: "translate" } : {}),
    ...(options.language === AUTO_LANGUAGE ? {} : { language: WHISPER_LANGUAGES[options.language] }),
    ...(used.length > 0 ? { initial_prompt: used.join(", ") } : {}),
  };
  const warnings =
    unused.length > 0
      ? [
          vocabularyUnused(
            unused,
            `Whisper's prompt holds about ${WHISPER_PROMPT_TOKENS} tokens: these terms did not fit and were not used (the first ones listed are kept)`,
          ),
        ]
      : [];
  return { input, warnings };
}

/**
 * Whisper's words for a chunk of `durationS` seconds (times relative to it). Whisper gives no per-word
 * confidence; each word gets its segment's mean token probability, exp(avg_logprob) (1 when none is
 * given). Where word timings are missing the text is kept, its words spread by their length in
 * characters: a segment without words over the segment's time, an answer without segments (its
 * `text` only) over the whole chunk.
 */
export function whisperWords(output: WhisperOutput, durationS: number): PieceResult {
  const language = output.transcription_info?.language;
  const segments = output.segments ?? [];
  if (segments.length === 0) return { words: spreadWords(output.text, 0, durationS, 1), language };
  const words = segments.flatMap((segment): HeardWord[] => {
    const confidence = Math.min(1, Math.max(0, Math.exp(segment.avg_logprob ?? 0)));
    const timed = (segment.words ?? [])
      .map((w) => ({ text: (w.word ?? "").trim(), start: w.start ?? 0, end: w.end ?? w.start ?? 0, confidence }))
      .filter((w) => w.text !== "");
    if (timed.length > 0) return timed;
    const start = segment.start ?? 0;
    return spreadWords(segment.text ?? "", start, Math.max(start, segment.end ?? durationS), confidence);
  });
  return { words, language };
}

/**
 * Transcription with Whisper on Workers AI: the runner decodes the file and cuts it at pauses; each
 * chunk goes to the model (a few at once) with the job's options (`whisperRequest`), and the words are
 * put back on the file's timeline and segmented.
 */
export async function transcribeWithWhisper(
  ai: Ai,
  endpoint: RunnerEndpoint,
  input: RunnerInput,
  options: SpeechOptions,
  onProgress: (event: RunnerProgress) => Promise<void>,
): Promise<AvResult> {
  // One language the model knows, or `auto`: anything else fails the job as bad input (as the runner's
  // own engine does), rather than being transcribed in whatever language the model guesses.
  if (options.language !== AUTO_LANGUAGE && !WHISPER_LANGUAGES[options.language]) {
    const supported = Object.keys(WHISPER_LANGUAGES).join(", ");
    throw new WorkError(
      "validation_failed",
      `Unknown speech language "${options.language}"; supported: ${supported}`,
      "input",
    );
  }
  const request = whisperRequest(options);
  const heard = await hearChunks(endpoint, input, {
    inFlight: IN_FLIGHT,
    onProgress,
    recognize: async (piece, signal) => {
      let answer: unknown;
      try {
        answer = await ai.run(WHISPER_MODEL, { ...request.input, audio: piece.wavBase64() }, { signal });
      } catch (err) {
        throw new WorkError("engine_failed", `Workers AI: ${String(err)}`, "transient");
      }
      const output = WhisperOutput.safeParse(answer);
      if (!output.success) {
        throw new WorkError(
          "engine_failed",
          `Whisper answered in an unexpected shape: ${z.prettifyError(output.error).slice(0, 300)}`,
          "transient",
        );
      }
      return whisperWords(output.data, piece.end_s - piece.start_s);
    },
  });
  return transcript(heard, {
    engine: `workers-ai:${WHISPER_MODEL}`,
    label: "Whisper",
    options,
    codes: WHISPER_LANGUAGES,
    warnings: request.warnings,
  });
}
