import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_OCR_LANGUAGES,
  JobResource,
  Languages,
  NOVA3_LANGUAGES,
  Problem,
  SPEECH_ENGINES,
  WHISPER_LANGUAGES,
} from "../../contracts";
import { createUserWithKey, TINY_PNG, tinyWav, uploadForm, workerWith } from "../test/helpers";
import { recordingAi } from "../test/speech-doubles";

const storedUploads = async () => (await env.FILES.list({ prefix: "uploads/" })).objects.map((o) => o.key);

const submit = (auth: Record<string, string>, bytes: Uint8Array, name: string, language: string) =>
  SELF.fetch("https://api.test/v1/jobs", {
    method: "POST",
    body: uploadForm(bytes, name, { language }),
    headers: auth,
  });

describe("languages", () => {
  it("GET /v1/languages lists the OCR languages installed by default and the runner's speech engine with what it can do", async () => {
    const { auth } = await createUserWithKey();
    const res = await SELF.fetch("https://api.test/v1/languages", { headers: auth });
    expect(res.status).toBe(200);
    expect(Languages.parse(await res.json())).toEqual({
      ocr: [...DEFAULT_OCR_LANGUAGES].sort(),
      av: ["eng"],
      speech_engines: [
        {
          name: "pocketsphinx",
          default: true,
          languages: ["eng"],
          detect_language: false,
          translate: false,
          diarize: false,
          vocabulary: false,
        },
      ],
    });
  });

  it("lists Whisper and nova-3 where speech runs on Workers AI, Whisper the default, and hears all their languages", async () => {
    const { auth } = await createUserWithKey();
    const onWorkersAi = workerWith({ SPEECH_ENGINE: "workers-ai", AI: recordingAi(() => ({})).ai });
    const languages = Languages.parse(await (await onWorkersAi("/v1/languages", { headers: auth })).json());
    expect(languages.speech_engines).toEqual([
      { name: "whisper", default: true, ...SPEECH_ENGINES.whisper },
      { name: "nova-3", default: false, ...SPEECH_ENGINES["nova-3"] },
      { name: "pocketsphinx", default: false, ...SPEECH_ENGINES.pocketsphinx },
    ]);
    expect(languages.av).toEqual(
      [...new Set([...Object.keys(WHISPER_LANGUAGES), ...Object.keys(NOVA3_LANGUAGES), "eng"])].sort(),
    );
  });

  it("leaves out an engine whose flag is off for the caller, and makes the best one left the default", async () => {
    const admin = (await createUserWithKey(undefined, "admin")).auth;
    const { auth } = await createUserWithKey();
    const onWorkersAi = workerWith({ SPEECH_ENGINE: "workers-ai", AI: recordingAi(() => ({})).ai });
    const flag = (name: string, enabled: boolean) =>
      SELF.fetch(`https://api.test/v1/admin/flags/${name}`, {
        method: "PUT",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ enabled, rollout_percent: 100 }),
      });
    const engines = async () =>
      Languages.parse(await (await onWorkersAi("/v1/languages", { headers: auth })).json()).speech_engines.map(
        (engine) => `${engine.name}${engine.default ? "*" : ""}`,
      );
    try {
      expect((await flag("speech_nova3", false)).status).toBe(200);
      expect(await engines()).toEqual(["whisper*", "pocketsphinx"]);
      await flag("speech_workers_ai", false);
      expect(await engines()).toEqual(["pocketsphinx*"]);
      await flag("speech_nova3", true);
      expect(await engines()).toEqual(["nova-3*", "pocketsphinx"]);
    } finally {
      await flag("speech_nova3", true);
      await flag("speech_workers_ai", true);
    }
  });

  it("lists what OCR_LANGUAGES names when an operator sets it", async () => {
    const { auth } = await createUserWithKey();
    const res = await workerWith({ OCR_LANGUAGES: "eng, jpn chi_sim" })("/v1/languages", { headers: auth });
    expect(Languages.parse(await res.json()).ocr).toEqual(["chi_sim", "eng", "jpn"]);
  });

  it("refuses at submission an OCR language that is not installed, naming those that are, and keeps nothing", async () => {
    const { auth } = await createUserWithKey();
    const before = await storedUploads();
    const res = await submit(auth, TINY_PNG, "scan.png", "jpn");
    expect(res.status).toBe(422);
    const problem = Problem.parse(await res.json());
    expect(problem.code).toBe("language_unavailable");
    expect(problem.detail).toContain('"jpn"');
    for (const language of DEFAULT_OCR_LANGUAGES) expect(problem.detail).toContain(language);
    expect(await storedUploads()).toEqual(before);
    // One missing part of a combination is enough to refuse it.
    expect((await submit(auth, TINY_PNG, "scan.png", "deu+jpn")).status).toBe(422);
  });

  it("accepts installed OCR languages alone and joined with +", async () => {
    const { auth } = await createUserWithKey();
    for (const language of ["deu", "fra+eng"]) {
      const res = await submit(auth, TINY_PNG, "scan.png", language);
      expect(res.status, await res.clone().text()).toBe(202);
      expect(JobResource.parse(await res.json()).options.language).toBe(language);
    }
  });

  it("judges a recording by what the speech engine hears, not by the OCR languages", async () => {
    const { auth } = await createUserWithKey();
    const refused = await submit(auth, tinyWav(), "call.wav", "deu");
    expect(refused.status).toBe(422);
    expect(Problem.parse(await refused.json())).toMatchObject({
      code: "language_unavailable",
      detail: expect.stringContaining("speech: eng"),
    });
    expect((await submit(auth, tinyWav(), "call.wav", "eng")).status).toBe(202);
  });

  it('takes language "auto" for documents and for recordings (pocketsphinx then transcribes English, and says so)', async () => {
    const { auth } = await createUserWithKey();
    const scan = await submit(auth, TINY_PNG, "scan.png", "auto");
    expect(scan.status).toBe(202);
    expect(JobResource.parse(await scan.json()).options.language).toBe("auto");
    const call = await submit(auth, tinyWav(), "call.wav", "auto");
    expect(call.status).toBe(202);
    expect(JobResource.parse(await call.json()).options.language).toBe("auto");
  });

  it("refuses a multipart upload in a language its file cannot be worked in before any part is sent", async () => {
    const { auth } = await createUserWithKey();
    const start = (file_name: string, language: string) =>
      SELF.fetch("https://api.test/v1/uploads", {
        method: "POST",
        body: JSON.stringify({ file_name, size: 6 * 1024 * 1024, options: { language } }),
        headers: { ...auth, "content-type": "application/json" },
      });
    const scan = await start("scan.pdf", "jpn");
    expect(scan.status).toBe(422);
    expect(Problem.parse(await scan.json()).code).toBe("language_unavailable");
    const call = await start("call.wav", "deu");
    expect(call.status).toBe(422);
    expect((await start("scan.pdf", "deu")).status).toBe(201);
    // A name that says nothing of its content: either kind's languages will do, for now.
    expect((await start("upload", "deu")).status).toBe(201);
    expect((await start("upload", "jpn")).status).toBe(422);
  });
});
