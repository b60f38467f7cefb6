import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobResource, Problem, WorkMessage } from "../../../contracts";
import { captureSends, createUserWithKey, TINY_PNG, tinyWav, uploadForm, workerWith } from "../../test/helpers";
import { recordingAi } from "../../test/speech-doubles";

// The A/V options at submission: what the local deployment (the runner's pocketsphinx only) and one
// with speech on Workers AI (Whisper, nova-3) accept and refuse, with stable codes, before any work.

type Fetch = (path: string, init?: RequestInit) => Response | Promise<Response>;
const local: Fetch = (path, init) => SELF.fetch(`https://api.test${path}`, init);
const onWorkersAi: Fetch = workerWith({ SPEECH_ENGINE: "workers-ai", AI: recordingAi(() => ({})).ai });

const submit = (api: Fetch, auth: Record<string, string>, options: object, file = tinyWav(), name = "call.wav") =>
  api("/v1/jobs", { method: "POST", body: uploadForm(file, name, options), headers: auth });

const startUpload = (api: Fetch, auth: Record<string, string>, file_name: string, options: object) =>
  api("/v1/uploads", {
    method: "POST",
    body: JSON.stringify({ file_name, size: 6 * 1024 * 1024, options }),
    headers: { ...auth, "content-type": "application/json" },
  });

async function refusal(res: Response) {
  const problem = Problem.parse(await res.json());
  return { status: res.status, code: problem.code, detail: problem.detail ?? "" };
}

describe("speech options at submission, where the runner's pocketsphinx is the only engine", () => {
  it.each([
    ["diarize", { diarize: true }, "engine_unavailable", /options\.diarize/],
    ["translate", { translate: true }, "engine_unavailable", /options\.translate/],
    [
      "an engine it lacks",
      { engine: "whisper" },
      "engine_unavailable",
      /"whisper" is not available here; available: pocketsphinx/,
    ],
    ["nova-3 by name", { engine: "nova-3", diarize: true }, "engine_unavailable", /available: pocketsphinx/],
    ["a language it does not hear", { language: "deu" }, "language_unavailable", /available for speech: eng/],
  ])("refuses %s, with the reason in the detail", async (_, options, code, detail) => {
    const { auth } = await createUserWithKey();
    const sent = captureSends(env.AV_QUEUE);
    const res = await submit(local, auth, options);
    const problem = await refusal(res);
    expect({ status: problem.status, code: problem.code }).toEqual({ status: 422, code });
    expect(problem.detail).toMatch(detail);
    expect(sent()).toEqual([]);
  });

  it.each([
    ["language auto", { language: "auto" }],
    ["a vocabulary", { vocabulary: ["Verbatim", "Kubernetes"] }],
    ["channels split", { channels: "split" }],
    ["channels mix", { channels: "mix" }],
    ["pocketsphinx by name", { engine: "pocketsphinx" }],
    ["engine auto, translate and diarize false", { engine: "auto", translate: false, diarize: false }],
  ])("accepts %s, and hands the options to the work, the engine settled", async (_, options) => {
    const { auth } = await createUserWithKey();
    const sent = captureSends(env.AV_QUEUE);
    const res = await submit(local, auth, options);
    expect(res.status, await res.clone().text()).toBe(202);
    // The only engine here: the job's options name it, whether they named it, `auto` or nothing.
    const settled = { ...options, engine: "pocketsphinx" };
    expect(JobResource.parse(await res.json()).options).toMatchObject(settled);
    const [message] = sent().map((body) => WorkMessage.parse(body));
    expect(message?.options).toMatchObject(settled);
  });

  it("leaves page handling out of a recording's options, and names it in a document's", async () => {
    const { auth } = await createUserWithKey();
    captureSends(env.AV_QUEUE);
    captureSends(env.OCR_QUEUE);
    const optionsOf = async (res: Response) => {
      expect(res.status, await res.clone().text()).toBe(202);
      return JobResource.parse(await res.json()).options;
    };
    for (const sent of [{}, { rotate_pages: false, deskew: false }]) {
      const recording = await optionsOf(await submit(local, auth, sent));
      expect(recording).not.toHaveProperty("rotate_pages");
      expect(recording).not.toHaveProperty("deskew");
    }
    expect(await optionsOf(await submit(local, auth, {}, TINY_PNG, "scan.png"))).toEqual({
      language: "eng",
      rotate_pages: true,
      deskew: true,
    });
    expect(await optionsOf(await submit(local, auth, { deskew: false }, TINY_PNG, "scan.png"))).toEqual({
      language: "eng",
      rotate_pages: true,
      deskew: false,
    });
  });

  it.each([
    ["engine", { engine: "pocketsphinx" }],
    ["vocabulary", { vocabulary: ["Acme"] }],
    ["translate", { translate: true }],
    ["diarize", { diarize: true }],
    ["channels", { channels: "split" }],
  ])("refuses the A/V option %s on an image as validation_failed", async (name, options) => {
    const { auth } = await createUserWithKey();
    const problem = await refusal(await submit(local, auth, options, TINY_PNG, "scan.png"));
    expect({ status: problem.status, code: problem.code }).toEqual({ status: 422, code: "validation_failed" });
    expect(problem.detail).toContain(`options.${name}`);
  });

  it("refuses malformed speech options as validation_failed", async () => {
    const { auth } = await createUserWithKey();
    for (const options of [{ engine: "kaldi" }, { vocabulary: [] }, { channels: "left" }, { diarize: "yes" }]) {
      const problem = await refusal(await submit(local, auth, options));
      expect({ status: problem.status, code: problem.code }, JSON.stringify(options)).toEqual({
        status: 422,
        code: "validation_failed",
      });
    }
  });

  it("refuses a multipart upload whose speech options cannot be honoured before any part is sent", async () => {
    const { auth } = await createUserWithKey();
    expect(await refusal(await startUpload(local, auth, "call.wav", { diarize: true }))).toMatchObject({
      status: 422,
      code: "engine_unavailable",
    });
    // A name that says nothing of its content: A/V options say it is a recording.
    expect(await refusal(await startUpload(local, auth, "upload", { translate: true }))).toMatchObject({
      status: 422,
      code: "engine_unavailable",
    });
    // A/V options on what the name says is a document.
    expect(await refusal(await startUpload(local, auth, "scan.pdf", { vocabulary: ["Acme"] }))).toMatchObject({
      status: 422,
      code: "validation_failed",
    });
    expect((await startUpload(local, auth, "call.wav", { language: "auto", vocabulary: ["Acme"] })).status).toBe(201);
    expect((await startUpload(local, auth, "upload", { channels: "split" })).status).toBe(201);
  });
});

describe("speech options at submission, with speech on Workers AI", () => {
  it("accepts diarize (nova-3 can), translate (Whisper can) and each engine by name", async () => {
    const { auth } = await createUserWithKey();
    captureSends(env.AV_QUEUE);
    for (const options of [
      { diarize: true },
      { translate: true, language: "deu" },
      { language: "pol" },
      { engine: "whisper", language: "auto", vocabulary: ["Acme"] },
      { engine: "nova-3", diarize: true, language: "jpn" },
      { engine: "pocketsphinx" },
    ]) {
      const res = await submit(onWorkersAi, auth, options);
      expect(res.status, `${JSON.stringify(options)}: ${await res.clone().text()}`).toBe(202);
    }
  });

  it("settles `auto` at submission: the job and its work name the engine chosen, once for all its parts and attempts", async () => {
    const { auth } = await createUserWithKey();
    const sent = captureSends(env.AV_QUEUE);
    for (const [options, engine] of [
      [{}, "whisper"],
      [{ engine: "auto", language: "pol" }, "whisper"],
      [{ diarize: true }, "nova-3"],
      [{ engine: "pocketsphinx" }, "pocketsphinx"],
    ] as const) {
      const res = await submit(onWorkersAi, auth, options);
      expect(res.status, await res.clone().text()).toBe(202);
      const job = JobResource.parse(await res.json());
      expect(job.options.engine, JSON.stringify(options)).toBe(engine);
      const message = sent()
        .map((body) => WorkMessage.parse(body))
        .find((work) => work.job_id === job.id);
      expect(message?.options.engine).toBe(engine);
    }
  });

  it("settles `auto` when a multipart upload completes, once its content is known to be a recording", async () => {
    const { auth } = await createUserWithKey();
    captureSends(env.AV_QUEUE);
    // A WAV header and padding: what sniffing reads says it is a recording.
    const file = new Uint8Array(6 * 1024 * 1024);
    file.set(tinyWav());
    const created = await startUpload(onWorkersAi, auth, "upload", { language: "auto" });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    for (const [n, bytes] of [file.subarray(0, 5 * 1024 * 1024), file.subarray(5 * 1024 * 1024)].entries()) {
      const part = await onWorkersAi(`/v1/uploads/${id}/parts/${n + 1}`, {
        method: "PUT",
        body: bytes,
        headers: { ...auth, "content-length": String(bytes.length) },
      });
      expect(part.status).toBe(200);
    }
    const done = await onWorkersAi(`/v1/uploads/${id}/complete`, { method: "POST", headers: auth });
    expect(done.status, await done.clone().text()).toBe(202);
    expect(JobResource.parse(await done.json()).options).toMatchObject({ language: "auto", engine: "whisper" });
  });

  it("refuses what none of its engines can do, naming what each can", async () => {
    const { auth } = await createUserWithKey();
    const both = await refusal(await submit(onWorkersAi, auth, { translate: true, diarize: true, language: "deu" }));
    expect(both).toMatchObject({ status: 422, code: "engine_unavailable" });
    expect(both.detail).toMatch(/whisper \(translate;.*nova-3 \(diarize;/);
    const polishSpeakers = await refusal(await submit(onWorkersAi, auth, { diarize: true, language: "pol" }));
    expect(polishSpeakers).toMatchObject({ status: 422, code: "engine_unavailable" });
    const pocketsphinxGerman = await refusal(
      await submit(onWorkersAi, auth, { engine: "pocketsphinx", language: "deu" }),
    );
    expect(pocketsphinxGerman).toMatchObject({ status: 422, code: "language_unavailable" });
    expect(pocketsphinxGerman.detail).toContain("pocketsphinx cannot hear");
  });
});
