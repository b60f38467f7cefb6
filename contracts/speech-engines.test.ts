import { describe, expect, it } from "vitest";
import { SPEECH_ENGINES, type SpeechEngineAbilities, type SpeechEngineName } from "./languages";
import { chooseSpeechEngine } from "./speech-engines";

const engine = (name: SpeechEngineName): SpeechEngineAbilities => ({ name, default: false, ...SPEECH_ENGINES[name] });
const local = [engine("pocketsphinx")];
const production = [engine("pocketsphinx"), engine("whisper"), engine("nova-3")];

describe("chooseSpeechEngine", () => {
  it("picks the best engine that can do everything asked, in order of preference", () => {
    expect(chooseSpeechEngine({ language: "eng" }, local)).toEqual({ ok: true, engine: "pocketsphinx" });
    expect(chooseSpeechEngine({ language: "eng" }, production)).toEqual({ ok: true, engine: "whisper" });
    expect(chooseSpeechEngine({ language: "eng", diarize: true }, production)).toEqual({ ok: true, engine: "nova-3" });
    expect(chooseSpeechEngine({ language: "pol" }, production)).toEqual({ ok: true, engine: "whisper" });
    expect(chooseSpeechEngine({ language: "auto" }, local)).toEqual({ ok: true, engine: "pocketsphinx" });
  });

  it("honours an engine asked for by name when it is here and able", () => {
    expect(chooseSpeechEngine({ language: "eng", engine: "nova-3" }, production)).toEqual({
      ok: true,
      engine: "nova-3",
    });
    expect(chooseSpeechEngine({ language: "eng", engine: "pocketsphinx" }, production)).toEqual({
      ok: true,
      engine: "pocketsphinx",
    });
  });

  it("refuses an engine this deployment lacks, naming those it has", () => {
    const choice = chooseSpeechEngine({ language: "eng", engine: "whisper" }, local);
    expect(choice).toEqual({ ok: false, code: "engine_unavailable", message: expect.stringContaining("pocketsphinx") });
  });

  it("refuses what no engine here can do, saying which option", () => {
    const diarize = chooseSpeechEngine({ language: "eng", diarize: true }, local);
    expect(diarize).toMatchObject({ ok: false, code: "engine_unavailable" });
    expect(diarize.ok || diarize.message).toContain("options.diarize");
    const translate = chooseSpeechEngine({ language: "deu", translate: true, engine: "nova-3" }, production);
    expect(translate).toMatchObject({ ok: false, code: "engine_unavailable" });
    expect(translate.ok || translate.message).toContain("options.translate");
    // Both at once: whisper translates, nova-3 labels speakers, none does both.
    const both = chooseSpeechEngine({ language: "deu", translate: true, diarize: true }, production);
    expect(both).toMatchObject({ ok: false, code: "engine_unavailable" });
  });

  it("refuses a language no engine here hears as language_unavailable", () => {
    const choice = chooseSpeechEngine({ language: "deu" }, local);
    expect(choice).toMatchObject({ ok: false, code: "language_unavailable" });
    expect(choice.ok || choice.message).toContain("eng");
  });
});
