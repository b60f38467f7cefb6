import { describe, expect, it } from "vitest";
import { JobOptions, optionsMisfit } from "../../../contracts/job";
import { SPEECH_ENGINES, type SpeechEngineAbilities, type SpeechEngineName } from "../../../contracts/languages";
import {
  DEFAULT_SPEECH_CHOICES,
  parseVocabulary,
  type SpeechChoices,
  speechConflict,
  speechOffer,
  speechOptions,
  uploadOptions,
} from "./speech-options";

/** Engines as GET /v1/languages lists them, from the contracts' own abilities. */
const engine = (name: SpeechEngineName, isDefault = false): SpeechEngineAbilities => ({
  name,
  default: isDefault,
  ...SPEECH_ENGINES[name],
});
/** This machine's deployment: the runner's pocketsphinx alone. */
const LOCAL = [engine("pocketsphinx", true)];
/** Production with Workers AI: Whisper (translates), nova-3 (labels speakers) and the runner. */
const CLOUD = [engine("whisper", true), engine("nova-3"), engine("pocketsphinx")];

const choices = (patch: Partial<SpeechChoices> = {}): SpeechChoices => ({ ...DEFAULT_SPEECH_CHOICES, ...patch });

describe("speechOffer: what the upload page offers for recordings", () => {
  it("offers locally neither an engine choice, nor speakers, translation or detection", () => {
    expect(speechOffer(LOCAL, "auto")).toEqual({
      engines: ["pocketsphinx"],
      detectLanguage: false,
      translate: false,
      diarize: false,
      vocabulary: false,
    });
  });

  it("offers what any engine can with auto, and what the chosen one can otherwise", () => {
    expect(speechOffer(CLOUD, "auto")).toEqual({
      engines: ["whisper", "nova-3", "pocketsphinx"],
      detectLanguage: true,
      translate: true,
      diarize: true,
      vocabulary: true,
    });
    expect(speechOffer(CLOUD, "nova-3")).toMatchObject({ translate: false, diarize: true });
    expect(speechOffer(CLOUD, "whisper")).toMatchObject({ translate: true, diarize: false });
    // An engine this deployment lacks (chosen before the list loaded): whatever the others can.
    expect(speechOffer(LOCAL, "whisper")).toMatchObject({ translate: false, diarize: false });
  });
});

describe("speechOptions: what a recording is sent with", () => {
  it("sends only the language when nothing was changed", () => {
    expect(speechOptions(choices(), LOCAL, "eng")).toEqual({ language: "eng" });
  });

  it("sends auto only where an engine can detect the language", () => {
    expect(speechOptions(choices(), LOCAL, "auto")).toEqual({});
    expect(speechOptions(choices(), CLOUD, "auto")).toEqual({ language: "auto" });
    expect(speechOptions(choices({ engine: "pocketsphinx" }), CLOUD, "auto")).toEqual({ engine: "pocketsphinx" });
  });

  it("sends what was changed and is offered, in the API's shape", () => {
    const sent = speechOptions(
      choices({
        engine: "nova-3",
        diarize: true,
        splitChannels: true,
        vocabulary: "Verbatim\n\n  Cloudflare  \nVerbatim\n",
      }),
      CLOUD,
      "deu",
    );
    expect(sent).toEqual({
      language: "deu",
      engine: "nova-3",
      diarize: true,
      channels: "split",
      vocabulary: ["Verbatim", "Cloudflare"],
    });
    // What the API takes for a recording, and refuses for a document.
    expect(JobOptions.parse(sent)).toMatchObject(sent);
    expect(optionsMisfit("av", JobOptions.parse(sent))).toBeNull();
    expect(optionsMisfit("ocr", JobOptions.parse(sent))).toMatch(/applies to audio and video/);
  });

  it("leaves out what the chosen engine cannot do (chosen before the engine changed)", () => {
    expect(speechOptions(choices({ engine: "nova-3", translate: true, diarize: true }), CLOUD, "eng")).toEqual({
      language: "eng",
      engine: "nova-3",
      diarize: true,
    });
    expect(speechOptions(choices({ translate: true, diarize: true }), LOCAL, "eng")).toEqual({ language: "eng" });
  });

  it("sends channels split and a vocabulary with any engine", () => {
    expect(speechOptions(choices({ splitChannels: true, vocabulary: "Hono" }), LOCAL, "eng")).toEqual({
      language: "eng",
      channels: "split",
      vocabulary: ["Hono"],
    });
  });
});

describe("parseVocabulary: one term a line, within the API's bounds", () => {
  it("drops blank lines and repeats and trims each term", () => {
    expect(parseVocabulary(" Ada Lovelace \r\n\nBabbage\nBabbage")).toEqual({
      terms: ["Ada Lovelace", "Babbage"],
      error: null,
    });
    expect(parseVocabulary("")).toEqual({ terms: [], error: null });
  });

  it("says why the API would refuse it: a term over 100 characters, or over 100 terms", () => {
    expect(parseVocabulary("x".repeat(101)).error).toMatch(/longer than 100 characters/);
    const many = Array.from({ length: 101 }, (_, i) => `term ${i}`).join("\n");
    expect(parseVocabulary(many).error).toBe("101 terms; at most 100 are taken.");
    expect(JobOptions.safeParse({ vocabulary: parseVocabulary(many).terms }).success).toBe(false);
    const most = Array.from({ length: 100 }, (_, i) => `term ${i}`).join("\n");
    expect(parseVocabulary(most).error).toBeNull();
    expect(JobOptions.safeParse({ vocabulary: parseVocabulary(most).terms }).success).toBe(true);
  });
});

describe("uploadOptions: each kind of file with its own options only", () => {
  const page = {
    language: "eng",
    pages: " 1-3 ",
    speech: choices({ engine: "whisper", translate: true, splitChannels: true, vocabulary: "Hono" }),
    engines: CLOUD,
  };

  it("sends a document its language and pages, none of the recordings' options", () => {
    const sent = uploadOptions("ocr", page);
    expect(sent).toEqual({ language: "eng", pages: "1-3" });
    expect(optionsMisfit("ocr", JobOptions.parse(sent))).toBeNull();
    expect(uploadOptions("ocr", { ...page, pages: "" })).toEqual({ language: "eng" });
  });

  it("sends a recording the options for recordings, not the pages", () => {
    const sent = uploadOptions("av", page);
    expect(sent).toEqual({
      language: "eng",
      engine: "whisper",
      translate: true,
      channels: "split",
      vocabulary: ["Hono"],
    });
    expect(optionsMisfit("av", JobOptions.parse(sent))).toBeNull();
  });
});

describe("speechConflict: choices no one engine here can do together", () => {
  it("names what stands in the way, as the API would refuse it", () => {
    expect(speechConflict(choices({ translate: true, diarize: true }), CLOUD, "deu")).toMatch(/options\.translate/);
    expect(speechConflict(choices({ diarize: true }), CLOUD, "pol")).toMatch(/label speakers/);
    expect(speechConflict(choices({ engine: "nova-3", translate: true }), CLOUD, "eng")).toBeNull();
  });

  it("lets through what one engine can do", () => {
    expect(speechConflict(choices({ diarize: true }), CLOUD, "eng")).toBeNull();
    expect(speechConflict(choices({ translate: true }), CLOUD, "pol")).toBeNull();
    expect(speechConflict(choices({ splitChannels: true, vocabulary: "Acme" }), LOCAL, "eng")).toBeNull();
    expect(speechConflict(choices(), [], "eng")).toBeNull();
  });
});
