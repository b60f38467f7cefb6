import { franc } from "franc";

/**
 * Which language a text is in, among the OCR languages a deployment has (`language: "auto"`):
 * franc's trigram models (ISO 639-3 codes) told which Tesseract languages may answer, and the
 * scripts Tesseract's orientation and script detection names, to narrow a deployment's languages
 * to those written in the script a page shows before it is read.
 */

/** Tesseract codes whose ISO 639-3 code (franc's) differs; the rest are the same ("deu", "fra", "nld"). */
const ISO_639_3: Readonly<Record<string, string>> = {
  ara: "arb",
  aze: "azj",
  chi: "cmn",
  est: "ekk",
  fas: "pes",
  frk: "deu",
  kur: "kmr",
  lav: "lvs",
  mon: "khk",
  msa: "zlm",
  nor: "nob",
  pus: "pbu",
  sqi: "als",
  swa: "swh",
  uzb: "uzn",
  yid: "ydd",
};

/** The ISO 639-3 code of a Tesseract language code (`chi_sim` → `cmn`, `deu_latf` → `deu`). */
export const isoOf = (tesseractCode: string): string => {
  const base = tesseractCode.split("_")[0] ?? tesseractCode;
  return ISO_639_3[base] ?? base;
};

/** Scripts as Tesseract's script detection names them, and the languages written in each; any other language is Latin. */
const SCRIPT_LANGUAGES: Readonly<Record<string, readonly string[]>> = {
  Arabic: ["ara", "fas", "urd", "pus", "snd", "uig"],
  Armenian: ["hye"],
  Bengali: ["ben", "asm"],
  Cyrillic: [
    "rus",
    "ukr",
    "bel",
    "bul",
    "mkd",
    "srp",
    "kaz",
    "kir",
    "tgk",
    "tat",
    "bak",
    "chv",
    "mon",
    "uzb_cyrl",
    "aze_cyrl",
  ],
  Devanagari: ["hin", "mar", "nep", "san"],
  Ethiopic: ["amh", "tir"],
  Georgian: ["kat", "kat_old"],
  Greek: ["ell", "grc"],
  Gujarati: ["guj"],
  Gurmukhi: ["pan"],
  Han: ["chi_sim", "chi_tra", "chi_sim_vert", "chi_tra_vert", "jpn", "jpn_vert"],
  Hangul: ["kor", "kor_vert"],
  Hebrew: ["heb", "yid"],
  Kannada: ["kan"],
  Khmer: ["khm"],
  Lao: ["lao"],
  Malayalam: ["mal"],
  Myanmar: ["mya"],
  Oriya: ["ori"],
  Sinhala: ["sin"],
  Syriac: ["syr"],
  Tamil: ["tam"],
  Telugu: ["tel"],
  Thaana: ["div"],
  Thai: ["tha"],
  Tibetan: ["bod", "dzo"],
};
/** Tesseract's names for scripts that are one of the above for this purpose. */
const SCRIPT_ALIASES: Readonly<Record<string, string>> = {
  HanS: "Han",
  HanT: "Han",
  Japanese: "Han",
  Katakana: "Han",
  Hiragana: "Han",
  Korean: "Hangul",
  Fraktur: "Latin",
};

/** The script a Tesseract language is written in ("Latin" unless listed). */
export function scriptOf(language: string): string {
  for (const [script, languages] of Object.entries(SCRIPT_LANGUAGES)) {
    if (languages.includes(language)) return script;
  }
  return "Latin";
}

/** The languages of `installed` written in `script` (as Tesseract names it); all of them when none is. */
export function languagesInScript(installed: readonly string[], script: string): readonly string[] {
  const wanted = SCRIPT_ALIASES[script] ?? script;
  const inScript = installed.filter((language) => scriptOf(language) === wanted);
  return inScript.length > 0 ? inScript : installed;
}

/** Whether `installed` holds languages of more than one script (only then is a page's script worth detecting). */
export const spansScripts = (installed: readonly string[]): boolean => new Set(installed.map(scriptOf)).size > 1;

/** Fewer letters than this is too little to tell languages apart. */
const MIN_LETTERS = 20;

/**
 * The language of `candidates` that `text` is most likely in, or null when the text is too short or
 * like none of them. Languages franc has no model for are never the answer (unless the only candidate).
 */
export function identifyLanguage(text: string, candidates: readonly string[]): string | null {
  if (candidates.length === 1) return candidates[0] ?? null;
  const byIso = new Map<string, string>();
  for (const code of candidates) if (!byIso.has(isoOf(code))) byIso.set(isoOf(code), code);
  if ((text.match(/\p{L}/gu)?.length ?? 0) < MIN_LETTERS) return null;
  const iso = franc(text, { only: [...byIso.keys()], minLength: MIN_LETTERS });
  return byIso.get(iso) ?? null;
}
