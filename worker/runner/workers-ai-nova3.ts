import { z } from "zod";
import { AUTO_LANGUAGE, type AvResult, type AvWarning, NOVA3_LANGUAGES } from "../../contracts";
import type { RunnerInput, RunnerProgress } from "./runner-client";
import { WorkError } from "./runner-client";
import type { RunnerEndpoint } from "./runner-endpoint";
import {
  fitTerms,
  type HeardWord,
  hearChunks,
  type PieceResult,
  type SpeechOptions,
  transcript,
  vocabularyUnused,
} from "./workers-ai-speech";

export const NOVA3_MODEL = "@cf/deepgram/nova-3";

/** Deepgram's limit on key terms: 500 tokens in all per request (and at most 100 terms, as the API's vocabulary is). */
export const NOVA3_KEYTERM_TOKENS = 500;

/** Pieces recognized at once when each is one of the runner's chunks. */
const IN_FLIGHT = 4;

/**
 * nova-3's answer. The generated `Ai_Cf_Deepgram_Nova_3_Output` omits fields Deepgram's responses carry
 * when the options that produce them are on: `punctuated_word` (smart_format, punctuate), `speaker`
 * (diarize; numbered from 0 within one request) and `detected_language` (detect_language, per channel).
 * This schema is the generated shape with those added as optional (the `satisfies` keeps it a
 * refinement of the generated type), and parsing checks the answer instead of trusting a cast.
 */
export const Nova3Output = z.object({
  results: z
    .object({
      channels: z
        .array(
          z.object({
            detected_language: z.string().optional(),
            language_confidence: z.number().optional(),
            alternatives: z
              .array(
                z.object({
                  confidence: z.number().optional(),
                  transcript: z.string().optional(),
                  words: z
                    .array(
                      z.object({
                        confidence: z.number().optional(),
                        end: z.number().optional(),
                        start: z.number().optional(),
                        word: z.string().optional(),
                        punctuated_word: z.string().optional(),
                        speaker: z.number().int().nonnegative().optional(),
                        speaker_confidence: z.number().optional(),
                      }),
                    )
                    .optional(),
                }),
              )
              .optional(),
          }),
        )
        .optional(),
    })
    .optional(),
}) satisfies z.ZodType<Ai_Cf_Deepgram_Nova_3_Output>;
export type Nova3Output = z.infer<typeof Nova3Output>;

/**
 * The input sent with every piece of audio: smart formatting and punctuation (numbers, dates, capitals:
 * text a person reads), speaker labels with `diarize`, the language or its detection (`auto`), and the
 * vocabulary as key terms (each once). Terms past Deepgram's 500-token limit are reported.
 *
 * `keyterm` with several terms is unverified against the live service. The generated type says one
 * string; Deepgram takes one term per `keyterm` query parameter, repeated. Several terms are sent as
 * an array because Cloudflare's own voice package does so (cloudflare/agents#2004, which says the
 * Workers AI Deepgram adapter was changed to accept an array and repeat the parameter upstream),
 * and every other form loses terms: the first one alone drops the rest, and terms joined in one
 * string become one long phrase to listen for. A single term goes as the string the type names. The
 * tests cannot reach Workers AI: should the service refuse an array, nova-3 jobs with several terms
 * fail (engine_failed); should it read it some other way (the first term, the array as a string),
 * terms go unused without a warning. Check this first if nova-3 seems to ignore a vocabulary.
 */
export function nova3Request(options: SpeechOptions): {
  input: Omit<Ai_Cf_Deepgram_Nova_3_Input, "audio">;
  warnings: AvWarning[];
} {
  const { used, unused } = fitTerms(options.vocabulary ?? [], NOVA3_KEYTERM_TOKENS);
  const input: Omit<Ai_Cf_Deepgram_Nova_3_Input, "audio"> = {
    smart_format: true,
    punctuate: true,
    ...(options.diarize ? { diarize: true } : {}),
    ...(options.language === AUTO_LANGUAGE
      ? { detect_language: true }
      : { language: NOVA3_LANGUAGES[options.language] as string }),
    ...(used.length === 1 ? { keyterm: used[0] } : {}),
    // An array against the generated type, unverified against the live service (see above).
    ...(used.length > 1 ? { keyterm: used as unknown as string } : {}),
  };
  const warnings =
    unused.length > 0
      ? [
          vocabularyUnused(
            unused,
            `nova-3 takes key terms of about ${NOVA3_KEYTERM_TOKENS} tokens in all: these did not fit and were not used (the first ones listed are kept)`,
          ),
        ]
      : [];
  return { input, warnings };
}

/** nova-3's words for one piece (times relative to it): the punctuated form where there is one; the speaker's number with `diarize`. */
export function nova3Words(output: Nova3Output, diarize: boolean): PieceResult {
  // Pieces are mono WAV files: one channel in the answer.
  const channel = output.results?.channels?.[0];
  const words = (channel?.alternatives?.[0]?.words ?? [])
    .map(
      (w): HeardWord => ({
        text: (w.punctuated_word ?? w.word ?? "").trim(),
        start: w.start ?? 0,
        end: w.end ?? w.start ?? 0,
        confidence: Math.min(1, Math.max(0, w.confidence ?? 0)),
        ...(diarize && w.speaker !== undefined ? { speaker: w.speaker } : {}),
      }),
    )
    .filter((w) => w.text !== "");
  return { words, language: channel?.detected_language };
}

/**
 * Transcription with Deepgram nova-3 on Workers AI, on the runner's chunks as WAV files. With
 * `diarize`, consecutive chunks of a channel are joined into pieces of up to `diarizeSeconds` and
 * sent one at a time: nova-3 numbers speakers per request, so labels hold within a piece only (a
 * recording, or a fan-out part, no longer than that gets consistent labels). Without it, chunks go as
 * they come, a few at once.
 */
export async function transcribeWithNova3(
  ai: Ai,
  endpoint: RunnerEndpoint,
  input: RunnerInput,
  options: SpeechOptions,
  onProgress: (event: RunnerProgress) => Promise<void>,
  { diarizeSeconds }: { diarizeSeconds: number },
): Promise<AvResult> {
  if (options.language !== AUTO_LANGUAGE && !NOVA3_LANGUAGES[options.language]) {
    const supported = Object.keys(NOVA3_LANGUAGES).join(", ");
    throw new WorkError(
      "validation_failed",
      `Unknown speech language "${options.language}" for nova-3; supported: ${supported}`,
      "input",
    );
  }
  const request = nova3Request(options);
  const diarize = options.diarize === true;
  const heard = await hearChunks(endpoint, input, {
    inFlight: diarize ? 1 : IN_FLIGHT,
    ...(diarize ? { joinUpToSeconds: diarizeSeconds } : {}),
    onProgress,
    recognize: async (piece, signal) => {
      let answer: unknown;
      try {
        answer = await ai.run(
          NOVA3_MODEL,
          {
            ...request.input,
            audio: { body: new Response(piece.wav()).body as ReadableStream, contentType: "audio/wav" },
          },
          { signal },
        );
      } catch (err) {
        throw new WorkError("engine_failed", `Workers AI: ${String(err)}`, "transient");
      }
      const output = Nova3Output.safeParse(answer);
      if (!output.success) {
        throw new WorkError(
          "engine_failed",
          `nova-3 answered in an unexpected shape: ${z.prettifyError(output.error).slice(0, 300)}`,
          "transient",
        );
      }
      return nova3Words(output.data, diarize);
    },
  });
  return transcript(heard, {
    engine: `workers-ai:${NOVA3_MODEL}`,
    label: "nova-3",
    options,
    codes: NOVA3_LANGUAGES,
    warnings: request.warnings,
  });
}
