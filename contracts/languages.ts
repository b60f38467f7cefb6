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

/** `language: "auto"`: OCR finds the document's language among those installed (`detected_language` in the result). */
export const AUTO_LANGUAGE = "auto";

/** GET /v1/languages: what this deployment can read (OCR) and hear (A/V) for the caller. */
export const Languages = z.object({
  ocr: z.array(z.string()).describe("Tesseract codes; several may be joined with `+` in a job's `language`"),
  av: z.array(z.string()).describe("codes the caller's speech engine accepts, one per job"),
});
export type Languages = z.infer<typeof Languages>;

/**
 * Whether `language` (a job's option) can be worked in for a job of `kind`: OCR takes several
 * installed languages joined with `+`, or `auto`; speech one language its engine knows.
 */
export function languageAvailable(kind: "ocr" | "av", language: string, available: Languages): boolean {
  if (kind === "av") return available.av.includes(language);
  if (language === AUTO_LANGUAGE) return available.ocr.length > 0;
  return language.split("+").every((part) => available.ocr.includes(part));
}
