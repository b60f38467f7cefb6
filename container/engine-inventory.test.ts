import { describe, expect, it } from "vitest";
import { EngineInventory } from "./engine-inventory";
import type { OcrEngine } from "./engines/ocr-engine";
import type { SpeechEngine } from "./engines/speech-engine";

function fakeEngines(speechVersions: (() => Promise<string>)[]) {
  let ocrVersionReads = 0;
  const ocr: OcrEngine = {
    name: "fake-ocr",
    version: async () => {
      ocrVersionReads++;
      return "1.0";
    },
    languages: async () => ["eng", "deu"],
    recognize: () => Promise.reject(new Error("not used")),
    orientation: () => Promise.reject(new Error("not used")),
  };
  const speech: SpeechEngine = {
    name: "fake-speech",
    languages: ["eng"],
    version: () => (speechVersions.shift() ?? (() => Promise.resolve("2.0")))(),
    transcribe: () => Promise.reject(new Error("not used")),
  };
  return { ocr, speech, ocrVersionReads: () => ocrVersionReads };
}

describe("EngineInventory", () => {
  it("reads versions once and then answers from its cache", async () => {
    const engines = fakeEngines([]);
    const inventory = new EngineInventory(engines.ocr, engines.speech);
    const first = await inventory.read();
    expect(first).toMatchObject({ complete: true, languages: ["eng", "deu"] });
    expect(first.engines).toMatchObject({ "fake-ocr": "1.0", "fake-speech": "2.0" });
    await inventory.read();
    await inventory.read();
    expect(engines.ocrVersionReads()).toBe(1);
  });

  it("marks a failing engine unavailable and reads again next time", async () => {
    const engines = fakeEngines([() => Promise.reject(new Error("missing"))]);
    const inventory = new EngineInventory(engines.ocr, engines.speech);
    const broken = await inventory.read();
    expect(broken.complete).toBe(false);
    expect(broken.engines["fake-speech"]).toBe("unavailable");
    const repaired = await inventory.read();
    expect(repaired.complete).toBe(true);
    expect(repaired.engines["fake-speech"]).toBe("2.0");
    expect(engines.ocrVersionReads()).toBe(2);
  });
});
