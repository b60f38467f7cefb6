import {
  AUTO_LANGUAGE,
  AV_ONLY_OPTIONS,
  chooseSpeechEngine,
  type JobKind,
  JobOptions,
  type Languages,
  languageAvailable,
  SPEECH_ENGINE_PREFERENCE,
  SPEECH_ENGINES,
  type SpeechEngineAbilities,
  type SpeechEngineName,
} from "../../contracts";
import type { Config } from "../config";
import { ApiError } from "../errors";
import { flagReader } from "./flags";

/**
 * The speech engines this deployment has for this user, in the order `auto` prefers them: the
 * runner's pocketsphinx always; on Workers AI (SPEECH_ENGINE=workers-ai with the AI binding) Whisper
 * behind the flag `speech_workers_ai` and Deepgram nova-3 behind `speech_nova3`. `default` marks the
 * one `auto` picks when no option asks for more than the default language.
 */
export async function speechEnginesFor(env: Env, config: Config, userId: string): Promise<SpeechEngineAbilities[]> {
  const onWorkersAi = config.SPEECH_ENGINE === "workers-ai" && env.AI !== undefined;
  const flags = flagReader(env.DB, config);
  const [whisper, nova3] = onWorkersAi
    ? await Promise.all([flags.isEnabled("speech_workers_ai", userId), flags.isEnabled("speech_nova3", userId)])
    : [false, false];
  const here = new Set<SpeechEngineName>([
    "pocketsphinx",
    ...(whisper ? (["whisper"] as const) : []),
    ...(nova3 ? (["nova-3"] as const) : []),
  ]);
  const engines = SPEECH_ENGINE_PREFERENCE.filter((name) => here.has(name)).map((name) => ({
    name,
    default: false,
    ...SPEECH_ENGINES[name],
  }));
  const picked = chooseSpeechEngine({ language: "eng" }, engines);
  return engines.map((engine) => ({ ...engine, default: picked.ok && picked.engine === engine.name }));
}

/** The languages this deployment reads (OCR_LANGUAGES) and, with the speech engines it has for this user, hears. */
export async function languagesFor(env: Env, config: Config, userId: string): Promise<Languages> {
  const speech_engines = await speechEnginesFor(env, config, userId);
  const av = [...new Set(speech_engines.flatMap((engine) => engine.languages))].sort();
  return { ocr: config.OCR_LANGUAGES, av, speech_engines };
}

/**
 * The options a job of `kind` runs with, decided at submission; work this deployment cannot do is
 * refused instead of accepted to fail later: a language it cannot work in (`language_unavailable`,
 * naming the ones it can), and for recordings options no speech engine of it can honour
 * (`engine_unavailable`, naming the engines it has; `chooseSpeechEngine` decides). A recording's
 * `engine` is settled here: `auto` (or none) becomes the engine chosen, kept in the job's options,
 * so every part and every attempt of the job runs on that one engine; a document's page handling
 * (`rotate_pages`, `deskew`) is named, on unless turned off, and a recording's left out (it has no
 * pages). Before the content is known (a multipart upload being created) `kind` may be both: the
 * language must then be one of either, the speech engines are asked only when the job can only be a
 * recording (A/V options, or a language only speech takes), and the options come back as they were
 * (settled on completion).
 */
export async function settleJobOptions(
  env: Env,
  config: Config,
  userId: string,
  kind: JobKind | readonly JobKind[],
  options: JobOptions,
): Promise<JobOptions> {
  const kinds = typeof kind === "string" ? [kind] : kind;
  const available = await languagesFor(env, config, userId);
  const { language } = options;
  const avOnly =
    AV_ONLY_OPTIONS.some((name) => options[name] !== undefined) ||
    (language !== AUTO_LANGUAGE && !languageAvailable("ocr", language, available));
  if (kinds.includes("av") && (kinds.length === 1 || avOnly)) {
    const choice = chooseSpeechEngine(options, available.speech_engines);
    if (!choice.ok) throw new ApiError(choice.code, choice.message);
    return kinds.length === 1 ? settled("av", { ...options, engine: choice.engine }) : options;
  }
  if (kinds.some((k) => languageAvailable(k, language, available))) {
    return kinds.length === 1 && kinds[0] ? settled(kinds[0], options) : options;
  }
  const lists = kinds.map((k) =>
    k === "ocr"
      ? `OCR: ${available.ocr.join(", ")} (several may be joined with +)`
      : `speech: ${available.av.join(", ")} (one per job)`,
  );
  throw new ApiError("language_unavailable", `"${language}" is not available here; available for ${lists.join("; ")}`);
}

/**
 * The page handling a job of `kind` runs with: a document's turns and straightens its pages unless
 * told not to, and its options say so; a recording has no pages, and its options leave both out.
 * Parsed again so the keys come in the contract's order (identical jobs are found by their options).
 */
function settled(kind: JobKind, { rotate_pages, deskew, ...rest }: JobOptions): JobOptions {
  return JobOptions.parse(
    kind === "ocr" ? { ...rest, rotate_pages: rotate_pages ?? true, deskew: deskew ?? true } : rest,
  );
}
