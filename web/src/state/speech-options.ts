import { signal } from "@preact/signals";
import { type JobOptions, MAX_VOCABULARY_TERM_LENGTH, MAX_VOCABULARY_TERMS } from "../../../contracts/job";
import {
  AUTO_LANGUAGE,
  type SpeechEngineAbilities,
  type SpeechEngineChoice,
  type SpeechEngineName,
} from "../../../contracts/languages";
import { chooseSpeechEngine } from "../../../contracts/speech-engines";
import { clearOnSignOut } from "./session";

/**
 * The upload page's options for recordings, offered from what this deployment's speech engines can
 * do (GET /v1/languages `speech_engines`), never from a list of its own, and sent only when changed
 * from their defaults and only with audio and video (the API refuses them on documents).
 */
export type SpeechChoices = {
  engine: SpeechEngineChoice;
  translate: boolean;
  diarize: boolean;
  /** `channels: "split"`: each channel its own speaker (call recordings). */
  splitChannels: boolean;
  /** The vocabulary as typed: one term a line. */
  vocabulary: string;
};

export const DEFAULT_SPEECH_CHOICES: SpeechChoices = {
  engine: "auto",
  translate: false,
  diarize: false,
  splitChannels: false,
  vocabulary: "",
};

export const speechChoices = signal<SpeechChoices>(DEFAULT_SPEECH_CHOICES);
clearOnSignOut(() => {
  speechChoices.value = DEFAULT_SPEECH_CHOICES;
});

export function chooseSpeech(patch: Partial<SpeechChoices>): void {
  speechChoices.value = { ...speechChoices.value, ...patch };
}

/** What the page offers for recordings: each only when an engine in reach can do it. */
export type SpeechOffer = {
  /** The engines to choose from; the choice is shown only when there are two or more. */
  engines: SpeechEngineName[];
  detectLanguage: boolean;
  translate: boolean;
  diarize: boolean;
  /** Whether an engine in reach uses the vocabulary (it is offered all the same; the result says when unused). */
  vocabulary: boolean;
};

/**
 * What can be asked of recordings here: with `engine` auto, what any of the engines can do (the API
 * picks one able to); with one engine chosen, what that one can.
 */
export function speechOffer(engines: readonly SpeechEngineAbilities[], engine: SpeechEngineChoice): SpeechOffer {
  const chosen = engines.find((candidate) => candidate.name === engine);
  const reach = engine === "auto" || !chosen ? engines : [chosen];
  return {
    engines: engines.map((candidate) => candidate.name),
    detectLanguage: reach.some((candidate) => candidate.detect_language),
    translate: reach.some((candidate) => candidate.translate),
    diarize: reach.some((candidate) => candidate.diarize),
    vocabulary: reach.some((candidate) => candidate.vocabulary),
  };
}

/** The terms of the vocabulary box (one a line, blank lines and repeats dropped), or why the API would refuse them. */
export function parseVocabulary(text: string): { terms: string[]; error: string | null } {
  const terms = [
    ...new Set(
      text
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter((line) => line !== ""),
    ),
  ];
  const long = terms.find((term) => term.length > MAX_VOCABULARY_TERM_LENGTH);
  if (long) {
    return {
      terms,
      error: `"${long.slice(0, 30)}…" is longer than ${MAX_VOCABULARY_TERM_LENGTH} characters: one term a line.`,
    };
  }
  if (terms.length > MAX_VOCABULARY_TERMS) {
    return { terms, error: `${terms.length} terms; at most ${MAX_VOCABULARY_TERMS} are taken.` };
  }
  return { terms, error: null };
}

type SpeechJobOptions = Pick<JobOptions, "engine" | "vocabulary" | "translate" | "diarize" | "channels" | "language">;
type UploadJobOptions = Partial<SpeechJobOptions & Pick<JobOptions, "pages">>;

/**
 * The options a recording is sent with: only what differs from the API's defaults and what this
 * deployment offers (an option hidden after the engine changed is not sent). `language` is the
 * page's language choice: `auto` goes as it is when an engine in reach can detect the language, and
 * is left out otherwise (the engine hears its own language, as the page says).
 */
export function speechOptions(
  choices: SpeechChoices,
  engines: readonly SpeechEngineAbilities[],
  language: string,
): Partial<SpeechJobOptions> {
  const offer = speechOffer(engines, choices.engine);
  const { terms, error } = parseVocabulary(choices.vocabulary);
  return {
    ...(language !== AUTO_LANGUAGE || offer.detectLanguage ? { language } : {}),
    ...(choices.engine !== "auto" && offer.engines.includes(choices.engine) ? { engine: choices.engine } : {}),
    ...(choices.translate && offer.translate ? { translate: true } : {}),
    ...(choices.diarize && offer.diarize ? { diarize: true } : {}),
    ...(choices.splitChannels ? { channels: "split" as const } : {}),
    ...(terms.length > 0 && !error ? { vocabulary: terms } : {}),
  };
}

/**
 * Why the API would refuse a recording sent with these choices (no engine here can do all of them at
 * once, e.g. translate with one engine and label speakers with another), as the API would say it
 * (`chooseSpeechEngine`, the API's own rule); null when one engine can.
 */
export function speechConflict(
  choices: SpeechChoices,
  engines: readonly SpeechEngineAbilities[],
  language: string,
): string | null {
  if (engines.length === 0) return null;
  const options = speechOptions(choices, engines, language);
  const choice = chooseSpeechEngine({ ...options, language: options.language ?? "eng" }, engines);
  return choice.ok ? null : choice.message;
}

/**
 * The options the upload page's choices give a file of `kind`: for documents the language and the
 * pages chosen, never an option for recordings (the API refuses those on documents); for recordings
 * `speechOptions`, never the pages.
 */
export function uploadOptions(
  kind: "ocr" | "av",
  page: { language: string; pages: string; speech: SpeechChoices; engines: readonly SpeechEngineAbilities[] },
): UploadJobOptions {
  if (kind === "av") return speechOptions(page.speech, page.engines, page.language);
  const pages = page.pages.trim();
  return { language: page.language, ...(pages ? { pages } : {}) };
}
