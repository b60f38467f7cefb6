import {
  type JobKind,
  type Languages,
  languageAvailable,
  SPEECH_ENGINES,
  type SpeechEngineName,
} from "../../contracts";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { flagReader } from "./flags";

/**
 * Whether this user's recordings are transcribed by Workers AI (Whisper) rather than by the
 * runner's engine: the deployment's choice (SPEECH_ENGINE, the AI binding) and the user's flag.
 */
export async function speechOnWorkersAi(env: Env, config: Config, userId: string): Promise<boolean> {
  return (
    config.SPEECH_ENGINE === "workers-ai" &&
    env.AI !== undefined &&
    (await flagReader(env.DB, config).isEnabled("speech_workers_ai", userId))
  );
}

/** The languages this deployment reads (OCR_LANGUAGES) and, for this user's speech engine, hears. */
export async function languagesFor(env: Env, config: Config, userId: string): Promise<Languages> {
  const name: SpeechEngineName = (await speechOnWorkersAi(env, config, userId)) ? "whisper" : "pocketsphinx";
  const engine = { name, default: true, ...SPEECH_ENGINES[name] };
  return { ocr: config.OCR_LANGUAGES, av: engine.languages, speech_engines: [engine] };
}

/**
 * Refuses, at submission, work in a language this deployment cannot work in for a file of `kind`
 * (`language_unavailable`, naming the ones it can), instead of accepting a job that fails later.
 * Before the content is known (a multipart upload being created) `kind` may be both: the language
 * must then be one of either.
 */
export async function assertLanguageAvailable(
  env: Env,
  config: Config,
  userId: string,
  kind: JobKind | readonly JobKind[],
  language: string,
): Promise<void> {
  const kinds = typeof kind === "string" ? [kind] : kind;
  const available = await languagesFor(env, config, userId);
  if (kinds.some((k) => languageAvailable(k, language, available))) return;
  const lists = kinds.map((k) =>
    k === "ocr"
      ? `OCR: ${available.ocr.join(", ")} (several may be joined with +)`
      : `speech: ${available.av.join(", ")} (one per job)`,
  );
  throw new ApiError("language_unavailable", `"${language}" is not available here; available for ${lists.join("; ")}`);
}
