import { z } from "zod";

/**
 * Languages are Tesseract codes (ISO 639-2 with a script suffix where Tesseract has one, e.g.
 * `chi_sim`), for OCR and speech alike.
 */
export const LANGUAGE_CODE = /^[a-z]{3}(_[a-z]+)?$/;

/**
 * Tesseract language data a deployment reads by default: English, German, French, Spanish, Italian,
 * Portuguese, Dutch. `scripts/setup-system.sh` and `container/Dockerfile` install the same list
 * (`OCR_LANGUAGES` changes all three; `contracts/languages.test.ts` keeps them in step).
 */
export const DEFAULT_OCR_LANGUAGES = ["eng", "deu", "fra", "spa", "ita", "por", "nld"] as const;

/** What the runner's own speech engine hears (pocketsphinx with Debian's US English model). */
export const RUNNER_SPEECH_LANGUAGES = ["eng"] as const;

/** The API's language codes to Whisper's (ISO 639-1), for speech on Workers AI. */
export const WHISPER_LANGUAGES: Readonly<Record<string, string>> = {
  eng: "en",
  deu: "de",
  fra: "fr",
  spa: "es",
  ita: "it",
  por: "pt",
  nld: "nl",
  pol: "pl",
  rus: "ru",
  ukr: "uk",
  tur: "tr",
  ara: "ar",
  heb: "he",
  hin: "hi",
  jpn: "ja",
  kor: "ko",
  chi_sim: "zh",
  swe: "sv",
  dan: "da",
  nor: "no",
  fin: "fi",
  ces: "cs",
  ell: "el",
  hun: "hu",
  ron: "ro",
  vie: "vi",
  ind: "id",
};

/**
 * The API's language codes to Deepgram's, for `@cf/deepgram/nova-3` on Workers AI: the languages of
 * nova-3's multilingual model.
 */
export const NOVA3_LANGUAGES: Readonly<Record<string, string>> = {
  eng: "en",
  spa: "es",
  fra: "fr",
  deu: "de",
  hin: "hi",
  rus: "ru",
  por: "pt",
  jpn: "ja",
  ita: "it",
  nld: "nl",
};

export const SPEECH_ENGINE_NAMES = ["pocketsphinx", "whisper", "nova-3"] as const;
export const SpeechEngineName = z.enum(SPEECH_ENGINE_NAMES);
export type SpeechEngineName = z.infer<typeof SpeechEngineName>;
/** A job's `engine` option: one engine, or `auto` for the best this deployment has for the job's other options. */
export const SpeechEngineChoice = z.enum(["auto", ...SPEECH_ENGINE_NAMES]);
export type SpeechEngineChoice = z.infer<typeof SpeechEngineChoice>;

/** What a speech engine can do, as GET /v1/languages tells it and job submission checks it. */
export const SpeechEngineAbilities = z.object({
  name: SpeechEngineName,
  /** The engine `auto` picks when no other option asks for more. */
  default: z.boolean(),
  languages: z.array(z.string()).describe("codes this engine accepts in a job's `language`"),
  detect_language: z
    .boolean()
    .describe('`language: "auto"` finds the language (else the engine hears its one language)'),
  translate: z.boolean().describe("`translate: true`: English text from other languages"),
  diarize: z.boolean().describe("`diarize: true`: speaker labels"),
  vocabulary: z.boolean().describe("`vocabulary` biases recognition (else the terms are reported unused)"),
});
export type SpeechEngineAbilities = z.infer<typeof SpeechEngineAbilities>;

/** Every speech engine's abilities; `SPEECH_ENGINE_PREFERENCE` orders them for `auto`. */
export const SPEECH_ENGINES: Readonly<Record<SpeechEngineName, Omit<SpeechEngineAbilities, "name" | "default">>> = {
  pocketsphinx: {
    languages: [...RUNNER_SPEECH_LANGUAGES],
    detect_language: false,
    translate: false,
    diarize: false,
    vocabulary: false,
  },
  whisper: {
    languages: Object.keys(WHISPER_LANGUAGES).sort(),
    detect_language: true,
    translate: true,
    diarize: false,
    vocabulary: true,
  },
  "nova-3": {
    languages: Object.keys(NOVA3_LANGUAGES).sort(),
    detect_language: true,
    translate: false,
    diarize: true,
    vocabulary: true,
  },
};
export const SPEECH_ENGINE_PREFERENCE: readonly SpeechEngineName[] = ["whisper", "nova-3", "pocketsphinx"];

/** `language: "auto"`: OCR finds the document's language among those installed (`detected_language` in the result). */
export const AUTO_LANGUAGE = "auto";

/** GET /v1/languages: what this deployment can read (OCR) and hear (A/V) for the caller. */
export const Languages = z.object({
  ocr: z.array(z.string()).describe("Tesseract codes; several may be joined with `+` in a job's `language`"),
  av: z.array(z.string()).describe("codes the caller's speech engines accept, one per job (or `auto`)"),
  speech_engines: z
    .array(SpeechEngineAbilities)
    .describe("the speech engines this deployment has for the caller, each with its languages and abilities"),
});
export type Languages = z.infer<typeof Languages>;

/**
 * Whether `language` (a job's option) can be worked in for a job of `kind`: OCR takes several
 * installed languages joined with `+`, or `auto`; speech one language its engine knows.
 */
export function languageAvailable(
  kind: "ocr" | "av",
  language: string,
  available: Pick<Languages, "ocr" | "av">,
): boolean {
  if (kind === "av") return language === AUTO_LANGUAGE || available.av.includes(language);
  if (language === AUTO_LANGUAGE) return available.ocr.length > 0;
  return language.split("+").every((part) => available.ocr.includes(part));
}
