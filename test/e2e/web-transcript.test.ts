import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobOptions } from "../../contracts/job";
import type { AvResult } from "../../contracts/results";
import { TALK_SENTENCES } from "../support/media-fixtures";
import { launchChromium } from "./browser";
import { type E2eStack, STACK_WORK_MS, startE2eStack } from "./stack";

/**
 * The Transcript tab as people use AssemblyAI's or Descript's players, in Debian's Chromium against
 * the stack as `npm run dev` starts it (issue #15): a recording uploaded through the upload page with
 * the options this deployment offers for recordings, then its transcript word by word (a click on a
 * word plays from it, the spoken word followed while playing, the words one stop in the Tab order),
 * search with "n of m", and speakers and warnings (from a result the test rewrites on its way to the
 * page: the runner labels no speakers yet).
 */
const SHOTS = join(import.meta.dirname, "../../docs/screenshots");
const EMAIL = "transcript@example.test";
/** Seconds a word's highlight may trail the media: a frame or two of the page's own sampling. */
const FRAME_S = 0.05;

let stack: E2eStack;
let browser: Browser;
let page: Page;
let jobId = "";
let result: AvResult;
const problems: string[] = [];
/** The statuses of the answers to each POST /v1/jobs the page sent. */
const created: number[] = [];

beforeAll(async () => {
  stack = await startE2eStack();
  browser = await launchChromium();
  // A short window, so the transcript's list scrolls (60vh of it).
  const context = await browser.newContext({ viewport: { width: 1280, height: 480 } });
  page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  page.on("response", (response) => {
    const request = response.request();
    if (request.method() === "POST" && new URL(request.url()).pathname === "/v1/jobs") created.push(response.status());
  });
  await page.goto(stack.url);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Upload" }).waitFor();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** The API as the signed-in user (the page's session token). */
async function asUser(path: string): Promise<Response> {
  const token = await page.evaluate<string>(`JSON.parse(localStorage.getItem("verbatim.session")).token`);
  return stack.call(path, { headers: { authorization: `Bearer ${token}` } });
}

async function accessibilityProblems(): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

const words = () => page.getByTestId("transcript-word");
const spoken = () => page.locator('[data-testid="transcript-word"][aria-current="true"]');
const media = () => page.locator("audio");
const searchCount = () => page.getByTestId("transcript-search-count");

/** The job's Transcript tab with its words and the recording loaded. */
async function openTranscript() {
  await page.goto(`${stack.url}/jobs/${jobId}`);
  await page
    .getByTestId("job-status")
    .locator('[data-status="succeeded"]')
    .waitFor({ timeout: STACK_WORK_MS * 3 });
  await page.getByRole("tab", { name: "Transcript" }).click();
  await words().first().waitFor();
  await expect
    .poll(() => media().evaluate((el) => (el as unknown as { readyState: number }).readyState))
    .toBeGreaterThanOrEqual(1);
  // Muted: the test needs the clock, not the sound.
  await media().evaluate((el) => {
    (el as unknown as { muted: boolean }).muted = true;
  });
}

/** Reads a word element's start and end (seconds). */
const timesOf = (locator: ReturnType<typeof words>) =>
  locator.evaluate((el) => ({
    start: Number((el as unknown as { dataset: Record<string, string> }).dataset.start),
    end: Number((el as unknown as { dataset: Record<string, string> }).dataset.end),
  }));

describe("the transcript in the web UI", () => {
  it("offers for recordings only what this deployment's engines can do, and sends options only with recordings", async () => {
    // A minute of speech: four sentences with pauses between them, four times over (16 kHz WAV, exact to
    // seek in); segments of up to 12 s, enough of them to make the list scroll.
    const spokenFiles = await Promise.all(TALK_SENTENCES.map((s, i) => stack.fixtures.speech(`s${i}.wav`, s)));
    const once = await stack.fixtures.joinAudio("once.wav", spokenFiles, 0.6);
    const talk = await stack.fixtures.joinAudio("talk.wav", [once, once, once, once], 0.6);
    const scan = await stack.fixtures.textImage("note.png", ["A short note to read"]);

    const options = page.getByTestId("recording-options");
    await options.waitFor();
    // Locally the runner's pocketsphinx alone: no engine to choose, no speakers, no translation, no detection.
    expect(await options.getByLabel("Speech engine").count()).toBe(0);
    expect(await options.getByLabel("Label speakers").count()).toBe(0);
    expect(await options.getByLabel("Translate to English").count()).toBe(0);
    expect(await options.getByLabel("Each channel is its own speaker (call recordings)").count()).toBe(1);
    expect(await page.locator("#upload-language option").allTextContents()).toContain(
      "Detect automatically (documents)",
    );
    await options.getByLabel("Vocabulary").fill("Verbatim\nCloudflare\n");
    await expect.poll(() => options.textContent()).toMatch(/pocketsphinx\) does not use them; the result will say so/);

    await page.locator("#file-input").setInputFiles([talk, scan]);
    await page.getByRole("button", { name: "Upload 2 files" }).click();
    const links = page.getByRole("link", { name: "Open job" });
    await expect.poll(() => links.count(), { timeout: 60_000 }).toBe(2);
    // Both taken (a recording's options on a document would be refused with 422).
    expect(created).toEqual([202, 202]);
    const idOf = async (name: string) => {
      const item = page.getByTestId("upload-item").filter({ hasText: name });
      return ((await item.getByRole("link", { name: "Open job" }).getAttribute("href")) ?? "").split("/").at(-1) ?? "";
    };
    jobId = await idOf("talk.wav");
    const optionsOf = async (id: string) =>
      ((await (await asUser(`/v1/jobs/${id}`)).json()) as { options: JobOptions }).options;
    // The recording: the vocabulary typed, nothing left at its default (speakers, channels), and the
    // engine the API settled at submission (the only one here).
    const recording = await optionsOf(jobId);
    expect(recording).toMatchObject({
      language: "eng",
      vocabulary: ["Verbatim", "Cloudflare"],
      engine: "pocketsphinx",
    });
    for (const name of ["translate", "diarize", "channels"] as const) expect(recording[name]).toBeUndefined();
    // The document: none of the recording's options.
    const document = await optionsOf(await idOf("note.png"));
    expect(document.language).toBe("eng");
    expect(document.vocabulary).toBeUndefined();
    expect(jobId).toMatch(/^job_/);
  });

  it("plays from a word clicked, at that word's start", async () => {
    await openTranscript();
    result = (await (await asUser(`/v1/jobs/${jobId}/result?format=json`)).json()) as AvResult;
    const count = result.segments.reduce((sum, s) => sum + s.words.length, 0);
    expect(count).toBeGreaterThan(10);
    expect(await words().count()).toBe(count);
    // Segments' texts as they were (words and the spaces between them).
    expect(await page.locator(".results-segment-text").first().textContent()).toBe(result.segments[0]?.text);

    await page.evaluate(`(() => {
      const audio = document.querySelector("audio");
      window.seekedAt = [];
      audio.addEventListener("seeked", () => window.seekedAt.push(audio.currentTime));
    })()`);
    // A word in the middle of the second segment: not where any segment starts.
    const word = page.locator('[data-segment="1"] [data-testid="transcript-word"]').nth(2);
    const { start } = await timesOf(word);
    expect(start).toBeGreaterThan(result.segments[1]?.start ?? 0);
    await word.click();
    await expect.poll(() => page.evaluate<number>("window.seekedAt.length")).toBeGreaterThan(0);
    const seekedAt = await page.evaluate<number>("window.seekedAt[0]");
    expect(Math.abs(seekedAt - start)).toBeLessThanOrEqual(0.05);
    await expect.poll(() => media().evaluate((el) => !(el as unknown as { paused: boolean }).paused)).toBe(true);
    await media().evaluate((el) => (el as unknown as { pause(): void }).pause());
  });

  it("highlights the word being spoken while the recording plays, every frame, and the word paused on", async () => {
    // Play from the start and sample, on every animation frame for 3 s, the media's time and the
    // highlighted word: it must hold the time (within a frame) nearly always, not trail it as
    // `timeupdate` (4 times a second) would.
    await page
      .getByRole("button", { name: /^Play from / })
      .first()
      .click();
    await expect.poll(() => spoken().count()).toBe(1);
    const samples = await page.evaluate<{ time: number; start: number; end: number }[]>(`new Promise((done) => {
      const audio = document.querySelector("audio");
      const samples = [];
      const began = performance.now();
      requestAnimationFrame(function sample() {
        const word = document.querySelector('[data-testid="transcript-word"][aria-current="true"]');
        samples.push({
          time: audio.currentTime,
          start: word ? Number(word.dataset.start) : NaN,
          end: word ? Number(word.dataset.end) : NaN,
        });
        if (performance.now() - began < 3000) requestAnimationFrame(sample);
        else done(samples);
      });
    })`);
    const highlighted = samples.filter((s) => !Number.isNaN(s.start));
    const wrong = highlighted.filter((s) => s.time < s.start - FRAME_S || s.time > s.end + FRAME_S);
    const distinct = new Set(highlighted.map((s) => s.start));
    expect(samples.length).toBeGreaterThan(30);
    expect(distinct.size, "the highlight moved from word to word").toBeGreaterThanOrEqual(4);
    expect(wrong.length / highlighted.length, JSON.stringify(wrong.slice(0, 5))).toBeLessThanOrEqual(0.05);
    // Between words nothing is highlighted; elsewhere a word is, nearly always.
    const inWord = samples.filter((s) =>
      result.segments.some((seg) => seg.words.some((w) => w.start + FRAME_S <= s.time && s.time < w.end - FRAME_S)),
    );
    expect(inWord.filter((s) => Number.isNaN(s.start)).length).toBeLessThanOrEqual(inWord.length * 0.05);

    // Paused, and moved to the middle of a word of the last segment: that word, exactly.
    await media().evaluate((el) => (el as unknown as { pause(): void }).pause());
    const target = page.locator('[data-testid="transcript-word"]').last();
    const { start, end } = await timesOf(target);
    await media().evaluate(
      (el, time) => {
        (el as unknown as { currentTime: number }).currentTime = time;
      },
      (start + end) / 2,
    );
    await expect
      .poll(() => spoken().evaluate((el) => (el as unknown as { dataset: { start: string } }).dataset.start))
      .toBe(String(start));
    const time = await media().evaluate((el) => (el as unknown as { currentTime: number }).currentTime);
    expect(time).toBeGreaterThanOrEqual(start);
    expect(time).toBeLessThan(end);
  });

  it("keeps the words one stop in the Tab order, moved over with the arrow keys, Enter playing from the word", async () => {
    // The stop is the word paused on (the last segment's last word): Tab from that segment's time reaches it.
    expect(await page.locator('[data-testid="transcript-word"][tabindex="0"]').count()).toBe(1);
    await page
      .getByRole("button", { name: /^Play from / })
      .last()
      .focus();
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | null>("document.activeElement.getAttribute('aria-current')")).toBe("true");
    expect(await page.evaluate<string | null>("document.activeElement.dataset.testid")).toBe("transcript-word");
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("ArrowRight");
    const focused = page.locator('[data-testid="transcript-word"]:focus');
    expect(await focused.textContent()).toBe(result.segments.at(-1)?.words[2]?.text);
    // The focused word is the one stop; Tab from it leaves the transcript's words (no stop per word).
    expect(await page.locator('[data-testid="transcript-word"][tabindex="0"]').count()).toBe(1);
    expect(await focused.getAttribute("tabindex")).toBe("0");
    await page.keyboard.press("ArrowUp");
    expect(await focused.textContent()).toBe(result.segments.at(-2)?.words[0]?.text);
    const { start } = await timesOf(focused);
    await page.keyboard.press("Enter");
    await expect.poll(() => media().evaluate((el) => !(el as unknown as { paused: boolean }).paused)).toBe(true);
    await media().evaluate((el) => (el as unknown as { pause(): void }).pause());
    const time = await media().evaluate((el) => (el as unknown as { currentTime: number }).currentTime);
    expect(time).toBeGreaterThanOrEqual(start - 0.05);
    expect(time).toBeLessThan(start + 1.5);
    await page.keyboard.press("Tab");
    expect(await page.evaluate<string | null>("document.activeElement.dataset.testid")).not.toBe("transcript-word");
  });

  it("searches the transcript: marks, n of m, next and previous, the list scrolled to the match, cleared", async () => {
    // A word of the last segment (four letters or more), the one said most often, as the test reads the
    // result: its last match is at the bottom of the list.
    const counts = new Map<string, number>();
    for (const s of result.segments) {
      for (const w of s.words) {
        const text = w.text.toLowerCase();
        if (text.length >= 4) counts.set(text, (counts.get(text) ?? 0) + 1);
      }
    }
    const last = new Set(result.segments.at(-1)?.words.map((w) => w.text.toLowerCase()));
    const [query = ""] = [...counts.entries()].filter(([word]) => last.has(word)).sort((a, b) => b[1] - a[1])[0] ?? [];
    expect(query).not.toBe("");
    const expected = result.segments.reduce((sum, s) => sum + (s.text.toLowerCase().split(query).length - 1), 0);
    const list = page.getByTestId("transcript");
    const before = await list.textContent();
    /** Whether the current match is in sight in the list's box. */
    const currentInSight = async () => {
      const box = await list.boundingBox();
      const mark = await list.locator("mark.current").boundingBox();
      return !!box && !!mark && mark.y >= box.y && mark.y + mark.height <= box.y + box.height;
    };
    // The list from its top, its last segment out of sight: the search must scroll to reach it.
    await list.evaluate((el) => el.scrollTo({ top: 0 }));
    expect(await list.evaluate((el) => el.scrollHeight > el.clientHeight)).toBe(true);
    const lastRow = await list.locator("li").last().boundingBox();
    const listBox = await list.boundingBox();
    expect(lastRow && listBox && lastRow.y + lastRow.height > listBox.y + listBox.height).toBe(true);

    const search = page.getByLabel("Search in transcript");
    await search.fill(query);
    await expect.poll(() => searchCount().textContent()).toBe(`1 of ${expected}`);
    expect(await list.locator("mark").count()).toBe(expected);
    expect(await list.locator("mark.current").textContent()).toBe(query);
    await search.press("Enter");
    if (expected > 1) await expect.poll(() => searchCount().textContent()).toBe(`2 of ${expected}`);
    await search.press("Shift+Enter");
    await search.press("Shift+Enter");
    // Wrapped round to the last match, in the last segment: the list scrolled to it.
    await expect.poll(() => searchCount().textContent()).toBe(`${expected} of ${expected}`);
    await expect.poll(currentInSight).toBe(true);
    await page.getByRole("button", { name: "Previous" }).click();
    if (expected > 1) await expect.poll(() => searchCount().textContent()).toBe(`${expected - 1} of ${expected}`);

    await search.fill("no such words here");
    await expect.poll(() => searchCount().textContent()).toBe("No matches");
    await search.fill("");
    await expect.poll(() => searchCount().textContent()).toBe("");
    expect(await list.locator("mark").count()).toBe(0);
    expect(await list.textContent()).toBe(before);
  });

  it("names speakers where they change, each in a colour of their own, and shows the result's warnings", async () => {
    // The runner labels no speakers yet (`channels: "split"` is on its way): the result is given
    // speakers, a detected language and warnings on its way to the page, as an engine would.
    const turns = ["Speaker 1", "Speaker 1", "Speaker 2", "Speaker 1", "Speaker 2", "Speaker 2", "Speaker 3"];
    await page.route(`**/v1/jobs/${jobId}/result?format=json`, async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as AvResult;
      json.segments.forEach((segment, i) => {
        segment.speaker = turns[i % turns.length];
      });
      json.detected_language = "eng";
      json.warnings = [
        {
          code: "vocabulary_unused",
          message: "pocketsphinx cannot use a vocabulary: it was not used",
          terms: ["Verbatim", "Cloudflare"],
        },
      ];
      await route.fulfill({ response, json });
    });
    await openTranscript();
    const labels = page.getByTestId("speaker-label");
    const expected = result.segments
      .map((_, i) => turns[i % turns.length])
      .filter((speaker, i, all) => i === 0 || speaker !== all[i - 1]);
    await expect.poll(() => labels.allTextContents()).toEqual(expected);
    // Labelled at a change of speaker only: the second segment (the same speaker) has none.
    expect(await page.locator('[data-segment="1"] [data-testid="speaker-label"]').count()).toBe(0);
    const colours = await page.evaluate<[string, string][]>(
      `[...document.querySelectorAll('[data-testid="speaker-label"]')].map((el) => [el.textContent, getComputedStyle(el).color])`,
    );
    const colourOf = new Map<string, Set<string>>();
    for (const [speaker, colour] of colours) colourOf.set(speaker, (colourOf.get(speaker) ?? new Set()).add(colour));
    for (const set of colourOf.values()) expect(set.size, "one colour per speaker").toBe(1);
    expect(new Set([...colourOf.values()].map((set) => [...set][0])).size).toBe(colourOf.size);

    await expect
      .poll(() => page.getByTestId("transcript-language").textContent())
      .toMatch(/Language detected: .* \(eng\)/);
    expect(await page.getByTestId("av-warnings").textContent()).toMatch(
      /pocketsphinx cannot use a vocabulary.*unused: Verbatim, Cloudflare/,
    );

    // A word highlighted and a match marked beside the speakers, for the screenshot; readable in both themes.
    await page.getByLabel("Search in transcript").fill(result.segments[2]?.words[1]?.text ?? "");
    await expect.poll(() => searchCount().textContent()).toMatch(/^1 of \d+$/);
    const third = page.locator('[data-segment="2"] [data-testid="transcript-word"]').first();
    const { start, end } = await timesOf(third);
    await media().evaluate(
      (el, time) => {
        (el as unknown as { currentTime: number }).currentTime = time;
      },
      (start + end) / 2,
    );
    await expect.poll(() => spoken().count()).toBe(1);
    await page.getByTestId("transcript").evaluate((el) => el.scrollTo({ top: 0 }));
    await page.screenshot({ path: join(SHOTS, "job-transcript-words.png"), fullPage: true });
    expect(await accessibilityProblems()).toEqual([]);
    await page.getByLabel("Theme").selectOption("dark");
    expect(await accessibilityProblems()).toEqual([]);
    await page.getByLabel("Theme").selectOption("light");
    await page.unroute(`**/v1/jobs/${jobId}/result?format=json`);
  });

  it("labels the parties of a call sent with each channel as its own speaker, from the runner's own result", async () => {
    const left = await stack.fixtures.speech(
      "call-left.wav",
      "Good morning. I would like to order a new phone please.",
    );
    const right = await stack.fixtures.speech(
      "call-right.wav",
      "Certainly. The new phone will arrive on Monday morning.",
    );
    const call = await stack.fixtures.twoPartyCall("call.wav", left, right, 7);
    await page.goto(stack.url);
    const options = page.getByTestId("recording-options");
    await options.waitFor();
    await options.getByLabel("Vocabulary").fill("");
    await options.getByLabel("Each channel is its own speaker (call recordings)").check();
    await page.locator("#file-input").setInputFiles([call]);
    await page.getByRole("button", { name: "Upload 1 file" }).click();
    const link = page
      .getByTestId("upload-item")
      .filter({ hasText: "call.wav" })
      .getByRole("link", { name: "Open job" });
    await link.waitFor({ timeout: 60_000 });
    const callId = ((await link.getAttribute("href")) ?? "").split("/").at(-1) ?? "";
    const job = (await (await asUser(`/v1/jobs/${callId}`)).json()) as { options: JobOptions };
    expect(job.options.channels).toBe("split");

    await page.goto(`${stack.url}/jobs/${callId}`);
    await page
      .getByTestId("job-status")
      .locator('[data-status="succeeded"]')
      .waitFor({ timeout: STACK_WORK_MS * 3 });
    await page.getByRole("tab", { name: "Transcript" }).click();
    await words().first().waitFor();
    // The left party speaks first, the right answers: one label at each change.
    await expect.poll(() => page.getByTestId("speaker-label").allTextContents()).toEqual(["Speaker 1", "Speaker 2"]);
    const secondParty = page
      .locator("[data-segment]")
      .filter({ has: page.getByTestId("speaker-label") })
      .nth(1);
    expect((await secondParty.textContent())?.toLowerCase()).toContain("monday");
  });

  it("offers the engine, speakers, translation and detection where the deployment's engines can, and checks the vocabulary", async () => {
    // As a deployment with Workers AI lists its engines (GET /v1/languages); locally only pocketsphinx runs.
    const abilities = (name: string, can: boolean, extra: object = {}) => ({
      name,
      default: name === "whisper",
      languages: ["eng", "deu"],
      detect_language: can,
      translate: can,
      diarize: can,
      vocabulary: can,
      ...extra,
    });
    await page.route("**/v1/languages", async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as object;
      const speech_engines = [
        abilities("whisper", true, { diarize: false }),
        abilities("nova-3", true, { translate: false }),
        abilities("pocketsphinx", false, { languages: ["eng"] }),
      ];
      await route.fulfill({ response, json: { ...json, speech_engines } });
    });
    await page.goto(stack.url);
    const options = page.getByTestId("recording-options");
    await options.getByLabel("Speech engine").waitFor();
    expect(await options.getByLabel("Speech engine").locator("option").allTextContents()).toEqual([
      "The best one for these options",
      "whisper (default)",
      "nova-3",
      "pocketsphinx",
    ]);
    expect(await options.getByLabel("Label speakers").count()).toBe(1);
    expect(await options.getByLabel("Translate to English").count()).toBe(1);
    expect(await page.locator("#upload-language option").first().textContent()).toBe(
      "Detect automatically (documents and recordings)",
    );
    expect(await options.textContent()).not.toMatch(/does not use them/);
    // One engine chosen: only what it can do.
    await options.getByLabel("Speech engine").selectOption("nova-3");
    expect(await options.getByLabel("Translate to English").count()).toBe(0);
    expect(await options.getByLabel("Label speakers").count()).toBe(1);
    await options.getByLabel("Speech engine").selectOption("pocketsphinx");
    expect(await options.getByLabel("Label speakers").count()).toBe(0);
    expect(await options.textContent()).toMatch(/pocketsphinx does not use them/);
    await page.unroute("**/v1/languages");

    // A vocabulary the API would refuse holds a recording back, and says why.
    await page.locator("#file-input").setInputFiles([stack.fixtures.path("s0.wav")]);
    const upload = page.getByRole("button", { name: "Upload 1 file" });
    await upload.waitFor();
    expect(await upload.getAttribute("aria-disabled")).toBe("false");
    await options.getByLabel("Vocabulary").fill(`Verbatim\n${"x".repeat(101)}`);
    await expect.poll(() => options.getByRole("alert").textContent()).toMatch(/longer than 100 characters/);
    expect(await upload.getAttribute("aria-disabled")).toBe("true");
    await options.getByLabel("Vocabulary").fill("Verbatim");
    await expect.poll(() => upload.getAttribute("aria-disabled")).toBe("false");
  });

  it("logged no errors in the console", () => {
    expect(problems).toEqual([]);
  });
});
