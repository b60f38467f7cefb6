import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * The web UI in Debian's Chromium (playwright-core), against the stack as `npm run dev` starts it:
 * sign-in, uploads with estimates, live status over the job's socket, results, the account page and
 * a refused file. Screenshots of the main screens are written to docs/screenshots/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SHOTS = join(import.meta.dirname, "../../docs/screenshots");
const PAGE_TEXT = ["Invoice number 4711 from Verbatim", "Total amount due is 1234 euros"];
const SPOKEN = "the quick brown fox jumped over the lazy dog";

let stack: E2eStack;
let browser: Browser;
let page: Page;
/** Everything the page asked the API for, and every console error or uncaught exception. */
const requests: { at: number; method: string; path: string }[] = [];
const consoleErrors: string[] = [];

beforeAll(async () => {
  stack = await startE2eStack();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  page = await context.newPage();
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/v1/")) requests.push({ at: Date.now(), method: r.method(), path: url.pathname });
  });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
});
afterAll(async () => {
  await browser?.close();
  stack?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

describe("the web UI", () => {
  let pdfJob = "";
  let audioJob = "";

  it("signs in through the development issuer, and the session survives a reload", async () => {
    await page.goto(stack.url);
    await page.getByLabel("Email").fill("web@example.test");
    await shot("sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Upload" }).waitFor();
    await page.reload();
    await page.getByRole("heading", { name: "Upload" }).waitFor();
    expect(await page.getByTestId("signed-in-as").textContent()).toBe("web@example.test");
  });

  it("checks files before sending: pages or duration, an estimate, and a refused file's reason", async () => {
    const scan = await stack.fixtures.scannedPdf("invoice.pdf", [await stack.fixtures.textImage("p1.png", PAGE_TEXT)]);
    const speech = await stack.fixtures.encodeAudio(await stack.fixtures.speech("talk.wav", SPOKEN), "talk.mp3");
    const fake = await stack.fixtures.garbage("notes.pdf", 4096);
    await page.locator("#file-input").setInputFiles([scan, speech, fake]);
    const items = page.getByTestId("upload-item");
    await expect.poll(() => items.count()).toBe(3);
    const item = (name: string) => items.filter({ hasText: name });
    await item("invoice.pdf").getByTestId("upload-estimate").waitFor();
    expect(await item("invoice.pdf").getByTestId("upload-estimate").textContent()).toMatch(/^1 page · /);
    await item("talk.mp3").getByTestId("upload-estimate").waitFor();
    expect(await item("talk.mp3").getByTestId("upload-estimate").textContent()).toMatch(/^0:0\d · /);
    const refused = item("notes.pdf").getByTestId("upload-error");
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/unsupported_media_type/);
    await shot("upload-checked");
  });

  it("uploads with byte progress and follows each job live, with no polling while its socket is open", async () => {
    await page.getByRole("button", { name: "Upload 2 files" }).click();
    const links = page.getByRole("link", { name: "Open job" });
    await expect.poll(() => links.count(), { timeout: 60_000 }).toBe(2);
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    [pdfJob = "", audioJob = ""] = hrefs.map((h) => h.split("/").at(-1) ?? "");
    expect(pdfJob).toMatch(/^job_/);
    // The uploads carried an Idempotency-Key (sending again returns the same jobs).
    await shot("upload-sent");

    const opened = Date.now();
    await page.goto(`${stack.url}/jobs/${audioJob}`);
    await page.getByTestId("live-mode").and(page.locator('[data-mode="live"], [data-mode="done"]')).waitFor();
    await page.locator('h1 + [data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const polls = requests.filter((r) => r.at >= opened && r.method === "GET" && r.path === `/v1/jobs/${audioJob}`);
    expect(polls).toEqual([]);
    expect(requests.some((r) => r.at >= opened && r.path === `/v1/jobs/${audioJob}/events/ticket`)).toBe(true);
    const timeline = await page.getByTestId("timeline").textContent();
    expect(timeline).toMatch(/Queued[\s\S]*Processing[\s\S]*Succeeded/);
  });

  it("shows a transcript with timestamps that play the recording from there", async () => {
    await page.getByRole("tab", { name: "Transcript" }).click();
    const play = page.getByRole("button", { name: /^Play from / }).first();
    await play.waitFor();
    await play.click();
    const media = page.locator("audio");
    await expect
      .poll(() =>
        media.evaluate((element) => {
          const audio = element as unknown as { currentTime: number; paused: boolean };
          return audio.currentTime > 0 || !audio.paused;
        }),
      )
      .toBe(true);
    await shot("job-transcript");
  });

  it("shows the OCR text, searchable and copyable, and downloads every format", async () => {
    await page.goto(`${stack.url}/jobs/${pdfJob}`);
    await page.locator('h1 + [data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const text = page.getByTestId("result-text");
    await text.waitFor();
    await expect.poll(() => text.textContent()).toMatch(/4711/);
    await page.getByLabel("Search in text").fill("amount");
    await expect.poll(() => text.locator("mark").count()).toBeGreaterThan(0);
    await page.getByRole("button", { name: "Copy text" }).click();
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toMatch(/4711/);
    await shot("job-text");

    await page.getByRole("tab", { name: "Downloads" }).click();
    for (const format of ["TXT", "JSON", "PDF"]) {
      const [download] = await Promise.all([
        page.waitForEvent("download"),
        page.getByRole("button", { name: `Download ${format}` }).click(),
      ]);
      const saved = await download.path();
      const body = readFileSync(saved);
      expect(body.length, format).toBeGreaterThan(0);
      if (format === "TXT") expect(body.toString("utf8")).toMatch(/4711/);
      if (format === "PDF") expect(body.subarray(0, 5).toString()).toBe("%PDF-");
      if (format === "JSON") expect(JSON.parse(body.toString("utf8")).kind).toBe("ocr");
    }

    await page.getByRole("tab", { name: "Pages" }).click();
    await page.locator("canvas").first().waitFor();
    await shot("job-pages");
  });

  it("lists jobs with counts, filters and search", async () => {
    await page.goto(`${stack.url}/jobs`);
    await page.getByTestId("job-row").first().waitFor();
    expect(await page.getByTestId("job-row").count()).toBe(2);
    expect(await page.getByTestId("status-counts").textContent()).toMatch(/Succeeded: 2/);
    await page.getByLabel("Search by file name").fill("invoice");
    await expect.poll(() => page.getByTestId("job-row").count()).toBe(1);
    await page.getByLabel("Search by file name").fill("");
    await page.getByLabel("Kind").selectOption("av");
    await expect
      .poll(() => page.getByTestId("job-row").allTextContents())
      .toEqual([expect.stringMatching(/talk\.mp3/)]);
    await page.getByLabel("Kind").selectOption("");
    await shot("history");
  });

  it("creates an API key shown once, which works until it is revoked", async () => {
    await page.goto(`${stack.url}/account`);
    await page.getByLabel("Key name").fill("ci script");
    await page.getByRole("button", { name: "Create key" }).click();
    const value = page.getByTestId("new-key-value");
    await value.waitFor();
    const key = await value.inputValue();
    expect(key).toMatch(/^vb_[0-9A-Za-z]{38}$/);
    const use = () => fetch(`${stack.url}/v1/jobs`, { headers: { authorization: `Bearer ${key}` } });
    expect((await use()).status).toBe(200);
    await shot("account");
    await page.getByRole("button", { name: "Done" }).click();
    await expect.poll(() => value.count()).toBe(0);

    await page.getByRole("button", { name: "Revoke ci script" }).click();
    await page.getByRole("button", { name: "Confirm revoke" }).click();
    await expect.poll(async () => (await use()).status).toBe(401);
  });

  it("shows a refused call's error code and request id", async () => {
    await page.getByLabel("Endpoint URL").fill("https://127.0.0.1/hook");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const requestId = page.getByTestId("request-id").first();
    await requestId.waitFor();
    const id = (await requestId.textContent()) ?? "";
    expect(id.length).toBeGreaterThan(8);
    expect(stack.records(id).some((r) => r.msg === "request")).toBe(true);
  });

  it("works at a phone's width and in the dark theme", async () => {
    await page.getByLabel("Theme").selectOption("dark");
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${stack.url}/jobs/${pdfJob}`);
    await page.getByTestId("result-text").waitFor();
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    await shot("job-phone-dark");
    await page.getByLabel("Theme").selectOption("light");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("logged no errors in the console other than the refused call", async () => {
    const unexpected = consoleErrors.filter((e) => !/status of 422/.test(e));
    expect(unexpected).toEqual([]);
  });

  it("signs out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  });
});
