import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { DEFAULT_OCR_LANGUAGES, JobResource, Languages, Problem } from "../../contracts";
import { createUserWithKey, TINY_PNG, tinyWav, uploadForm, workerWith } from "../test/helpers";

const storedUploads = async () => (await env.FILES.list({ prefix: "uploads/" })).objects.map((o) => o.key);

const submit = (auth: Record<string, string>, bytes: Uint8Array, name: string, language: string) =>
  SELF.fetch("https://api.test/v1/jobs", {
    method: "POST",
    body: uploadForm(bytes, name, { language }),
    headers: auth,
  });

describe("languages", () => {
  it("GET /v1/languages lists the OCR languages installed by default and what the runner's speech engine hears", async () => {
    const { auth } = await createUserWithKey();
    const res = await SELF.fetch("https://api.test/v1/languages", { headers: auth });
    expect(res.status).toBe(200);
    expect(Languages.parse(await res.json())).toEqual({ ocr: [...DEFAULT_OCR_LANGUAGES].sort(), av: ["eng"] });
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

  it('takes language "auto" for documents, and refuses it for recordings (speech is told its language)', async () => {
    const { auth } = await createUserWithKey();
    const scan = await submit(auth, TINY_PNG, "scan.png", "auto");
    expect(scan.status).toBe(202);
    expect(JobResource.parse(await scan.json()).options.language).toBe("auto");
    const call = await submit(auth, tinyWav(), "call.wav", "auto");
    expect(call.status).toBe(422);
    expect(Problem.parse(await call.json()).code).toBe("language_unavailable");
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
