import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LETTER } from "../support/media-fixtures";
import { launchChromium, startStaticSite } from "./browser";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * The web UI in Debian's Chromium (playwright-core), against the stack as `npm run dev` starts it:
 * sign-in, uploads with estimates, live status over the job's socket, results, the account page and
 * a refused file. Screenshots of the main screens are written to docs/screenshots/.
 */
const SHOTS = join(import.meta.dirname, "../../docs/screenshots");
const PAGE_TEXT = ["Invoice number 4711 from Verbatim", "Total amount due is 1234 euros"];
const SPOKEN = "the quick brown fox jumped over the lazy dog";

let stack: E2eStack;
let browser: Browser;
let page: Page;
const MiB = 1024 * 1024;

/** Everything the page asked the API for, and every console error or uncaught exception. */
const requests: { at: number; method: string; path: string; headers: Record<string, string> }[] = [];
const consoleErrors: string[] = [];

/** A webhook receiver on this machine (the stack lets development endpoints be local). */
let receiver: Server;
const received: string[] = [];

/** The UI built for another origin than the API's, as on Pages (VITE_API_URL). */
let pages: Awaited<ReturnType<typeof startStaticSite>>;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    received.push(req.headers["webhook-id"] as string);
    res.writeHead(200).end("ok");
  });
  await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done));
  pages = await startStaticSite();
  // Small request and part sizes, so the test's large file (12 MB) goes in parts.
  stack = await startE2eStack({
    vars: {
      WEBHOOK_ALLOW_PRIVATE: "true",
      MAX_UPLOAD_BYTES: String(6 * MiB),
      UPLOAD_PART_BYTES: String(5 * MiB),
      CORS_ORIGINS: pages.origin,
    },
  });
  pages.build({ VITE_API_URL: stack.url });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  // Every progress text the job page shows, as it shows it (a job's progress can be brief).
  await context.addInitScript(`
    window.progressSeen = [];
    new MutationObserver(() => {
      for (const el of document.querySelectorAll('[data-testid="job-progress"]')) {
        if (window.progressSeen.at(-1) !== el.textContent) window.progressSeen.push(el.textContent);
      }
    }).observe(document, { subtree: true, childList: true, characterData: true });
  `);
  page = await context.newPage();
  page.on("request", (r) => {
    const url = new URL(r.url());
    if (url.pathname.startsWith("/v1/")) {
      requests.push({ at: Date.now(), method: r.method(), path: url.pathname, headers: r.headers() });
    }
  });
  page.on("console", (m) => {
    if (m.type() === "error") consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(`uncaught: ${e.message}`));
});
afterAll(async () => {
  await browser?.close();
  stack?.stop();
  receiver?.close();
  pages?.stop();
});

/** Drops a small text file on the element `selector` names; true when the app took the drop (the browser did not open the file). */
const dropFile = (selector: string, name: string, on: Page = page) =>
  on.evaluate<boolean>(`(() => {
    const data = new DataTransfer();
    data.items.add(new File(["plain words"], ${JSON.stringify(name)}, { type: "text/plain" }));
    const drop = new DragEvent("drop", { dataTransfer: data, bubbles: true, cancelable: true });
    document.querySelector(${JSON.stringify(selector)}).dispatchEvent(drop);
    return drop.defaultPrevented;
  })()`);

const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

/** Accessibility rules (axe-core, WCAG 2 A/AA) the current screen breaks in a serious or critical way. */
async function accessibilityProblems(): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

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
    // The UI's files carry its Content-Security-Policy (web/public/_headers).
    const index = await fetch(`${stack.url}/jobs`);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    // Only the app's own scripts, and WebAssembly (PDF.js's image decoders); never eval.
    expect(index.headers.get("content-security-policy")).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    // Bundles, named by their content's hash, are kept for a year; the page that names them is not.
    const bundle = (await index.text()).match(/\/assets\/[\w-]+\.js/)?.[0];
    expect(bundle).toBeDefined();
    const script = await fetch(`${stack.url}${bundle}`);
    expect(script.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(index.headers.get("cache-control") ?? "").not.toMatch(/immutable/);
  });

  it("checks files before sending: pages or duration, an estimate, and a refused file's reason", async () => {
    const sheet = await stack.fixtures.textImage("p1.png", PAGE_TEXT);
    const scan = await stack.fixtures.scannedPdf("invoice.pdf", [sheet, sheet, sheet, sheet, sheet, sheet]);
    const speech = await stack.fixtures.encodeAudio(await stack.fixtures.speech("talk.wav", SPOKEN), "talk.mp3");
    const fake = await stack.fixtures.garbage("notes.pdf", 4096);
    await page.locator("#file-input").setInputFiles([scan, speech, fake]);
    const items = page.getByTestId("upload-item");
    await expect.poll(() => items.count()).toBe(3);
    const item = (name: string) => items.filter({ hasText: name });
    await item("invoice.pdf").getByTestId("upload-estimate").waitFor();
    expect(await item("invoice.pdf").getByTestId("upload-estimate").textContent()).toMatch(/^6 pages · /);
    await item("talk.mp3").getByTestId("upload-estimate").waitFor();
    expect(await item("talk.mp3").getByTestId("upload-estimate").textContent()).toMatch(/^0:0\d · /);
    const refused = item("notes.pdf").getByTestId("upload-error");
    await refused.waitFor();
    expect(await refused.textContent()).toMatch(/unsupported_media_type/);
    // It says what is wrong with this file, not a list that contradicts its name.
    expect(await refused.textContent()).toMatch(/named \.pdf but is not a readable PDF/);

    // Dropped anywhere on the page (here on its heading, outside the drop card) instead of picked:
    // taken, never opened by the browser in place of the app, and checked the same way.
    expect(await dropFile("h1", "readme.txt")).toBe(true);
    await item("readme.txt").getByTestId("upload-error").waitFor();
    await item("readme.txt").getByRole("button", { name: "Remove readme.txt" }).click();
    await shot("upload-checked");
    expect(await accessibilityProblems()).toEqual([]);
  });

  it("uploads with byte progress and follows each job live, with no polling while its socket is open", async () => {
    await page.getByRole("button", { name: "Upload 2 files" }).click();
    const links = page.getByRole("link", { name: "Open job" });
    await expect.poll(() => links.count(), { timeout: 60_000 }).toBe(2);
    const hrefs = await links.evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
    [pdfJob = "", audioJob = ""] = hrefs.map((h) => h.split("/").at(-1) ?? "");
    expect(pdfJob).toMatch(/^job_/);
    // Each upload carried an Idempotency-Key: sending it again could never make a second job.
    const creates = requests.filter((r) => r.method === "POST" && r.path === "/v1/jobs");
    expect(creates).toHaveLength(2);
    for (const create of creates) expect(create.headers["idempotency-key"]).toMatch(/^[0-9a-f-]{36}$/);
    await shot("upload-sent");

    const opened = Date.now();
    await page.goto(`${stack.url}/jobs/${pdfJob}`);
    await page
      .getByTestId("live-mode")
      .and(page.locator('[data-mode="live"], [data-mode="done"]'))
      .waitFor({ state: "attached" });
    await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    const polls = requests.filter((r) => r.at >= opened && r.method === "GET" && r.path === `/v1/jobs/${pdfJob}`);
    expect(polls).toEqual([]);
    expect(requests.some((r) => r.at >= opened && r.path === `/v1/jobs/${pdfJob}/events/ticket`)).toBe(true);
    // Stage and pages done, as the socket reported them.
    const progress = await page.evaluate<string[]>("window.progressSeen");
    expect(
      progress.some((text) => /of 6 pages/.test(text)),
      progress.join(" | "),
    ).toBe(true);
    const timeline = await page.getByTestId("timeline").textContent();
    expect(timeline).toMatch(/Queued[\s\S]*Processing[\s\S]*Succeeded/);
  });

  it("shows a transcript with timestamps that play the recording from there", async () => {
    await page.goto(`${stack.url}/jobs/${audioJob}`);
    await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: 120_000 });
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
    await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    // The badge says it ended; no second "Finished" beside it.
    await page.getByTestId("live-mode").and(page.locator('[data-mode="done"]')).waitFor({ state: "attached" });
    expect(await page.getByTestId("live-mode").textContent()).toBe("");
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
      if (format === "PDF") {
        expect(body.subarray(0, 5).toString()).toBe("%PDF-");
        // Saved beside the scan, not over it.
        expect(download.suggestedFilename()).toMatch(/\.searchable\.pdf$/);
      }
      if (format === "JSON") expect(JSON.parse(body.toString("utf8")).kind).toBe("ocr");
    }

    await page.getByRole("tab", { name: "Pages" }).click();
    await page.locator('[data-testid="result-page"] canvas.drawn').first().waitFor();
    await shot("job-pages");
    expect(await accessibilityProblems()).toEqual([]);
  });

  /** Submits `file` as the signed-in user (a session of the same email) and returns the job's id. */
  const submitAsUser = async (file: string, name: string) => {
    const session = (await (
      await fetch(`${stack.url}/dev/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "web@example.test" }),
      })
    ).json()) as { token: string };
    const form = new FormData();
    form.append("file", new File([readFileSync(file)], name));
    const created = await fetch(`${stack.url}/v1/jobs`, {
      method: "POST",
      body: form,
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(created.status).toBe(202);
    return ((await created.json()) as { id: string }).id;
  };

  it("shows a page the runner turned as it was read, and warns of a page with no text", async () => {
    const lines = LETTER.slice(0, 7);
    // Fed upside down and 3° askew, then a blank sheet.
    const scan = await stack.fixtures.scannedPdf("turned.pdf", [
      await stack.fixtures.scannedPage("turned-1.png", lines, 183),
      await stack.fixtures.scannedPage("turned-2.png", [], 0),
    ]);
    const id = await submitAsUser(scan, "turned.pdf");
    await page.goto(`${stack.url}/jobs/${id}`);
    await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    await page.getByRole("tab", { name: "Pages" }).click();
    await expect.poll(() => page.getByTestId("ocr-warnings").textContent()).toContain("No text was found on page 2");
    const reading = page.getByTestId("page-reading").first();
    await expect.poll(() => reading.textContent()).toMatch(/turned 180° and straightened by -3\.\d° to read it/);
    // The page as uploaded is drawn turned the same way, under boxes in the upright page's space.
    const canvas = page.locator("canvas").first();
    await canvas.waitFor();
    expect(
      await canvas.evaluate((element) => (element as unknown as { style: { transform: string } }).style.transform),
    ).toMatch(/rotate\(177\.\d+deg\)/);
    await shot("job-pages-turned");
  });

  it("draws scanned pages whatever their images are encoded in (JPEG 2000 here), with PDF.js's decoders", async () => {
    const sheet = await stack.fixtures.textImage("jpx-page.png", PAGE_TEXT);
    const scan = await stack.fixtures.scannedPdf("jpx.pdf", [await stack.fixtures.convertImage(sheet, "jpx-page.jp2")]);
    const id = await submitAsUser(scan, "jpx.pdf");
    await page.goto(`${stack.url}/jobs/${id}`);
    await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    await page.getByRole("tab", { name: "Pages" }).click();
    const canvas = page.locator("canvas").first();
    await canvas.waitFor();
    // The page is drawn with its text, not left blank: dark pixels where the letters are.
    const darkPixels = () =>
      canvas.evaluate((element) => {
        type Canvas = {
          width: number;
          height: number;
          getContext(kind: "2d"): {
            getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
          };
        };
        const c = element as unknown as Canvas;
        const data = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
        let dark = 0;
        for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128) dark++;
        return dark;
      });
    await expect.poll(darkPixels).toBeGreaterThan(1000);
  });

  it("hides the page view when its flag is switched off, without a deploy", async () => {
    const admin = {
      authorization: `Bearer ${stack.createKey("admin@example.test", true)}`,
      "content-type": "application/json",
    };
    const setFlag = (enabled: boolean) =>
      fetch(`${stack.url}/v1/admin/flags/ui_page_view`, {
        method: "PUT",
        headers: admin,
        body: JSON.stringify({ enabled, rollout_percent: 100 }),
      });
    expect((await setFlag(false)).status).toBe(200);
    try {
      await page.reload();
      await page.getByRole("tab", { name: "Text" }).waitFor();
      expect(await page.getByRole("tab").allTextContents()).toEqual(["Text", "Downloads"]);
    } finally {
      await setFlag(true);
    }
    await page.reload();
    await page.getByRole("tab", { name: "Pages" }).waitFor();
  });

  it("reads only the pages chosen, in the language it detects, when told to detect it", async () => {
    const pdf = await stack.fixtures.scannedPdf("letters.pdf", [
      await stack.fixtures.textImage("letter-en.png", ["The first page is an English letter"]),
      await stack.fixtures.textImage("brief.png", [
        "Die Größe der Übergabe ist wichtig",
        "Wir müssen zur Straße gehen",
      ]),
    ]);
    await page.goto(stack.url);
    const choice = page.getByLabel("Language of the files");
    await expect.poll(() => choice.locator("option").count()).toBeGreaterThanOrEqual(8);
    await choice.selectOption("auto");
    await page.locator("#file-input").setInputFiles([pdf]);
    const pages = page.getByLabel("Pages of documents");
    await pages.fill("3-1");
    await page.getByRole("alert").filter({ hasText: "separated by commas" }).waitFor();
    expect(await page.getByRole("button", { name: "Upload 1 file" }).isDisabled()).toBe(true);
    await pages.fill("2");
    await page.getByRole("button", { name: "Upload 1 file" }).click();
    await page.getByRole("link", { name: "Open job" }).click();
    await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    await expect.poll(() => page.getByTestId("result-text").textContent()).toContain("Größe der Übergabe");
    expect(await page.getByTestId("result-text").textContent()).not.toContain("English letter");
  });

  it("shows a failed job's error code, what it means and what to do", async () => {
    const broken = stack.fixtures.path("broken.pdf");
    writeFileSync(broken, "%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n%% truncated here");
    await page.goto(stack.url);
    await page.locator("#file-input").setInputFiles([broken]);
    await page.getByRole("button", { name: "Upload 1 file" }).click();
    await page.getByRole("link", { name: "Open job" }).click();
    const failure = page.getByTestId("job-error");
    await failure.waitFor({ timeout: 120_000 });
    const text = (await failure.textContent()) ?? "";
    expect(text).toMatch(/media_corrupt/);
    // One plain sentence about the file, not the PDF library's own output.
    expect(text).toMatch(/The PDF could not be read: it is damaged or not a valid file of its type\./);
    expect(text).not.toMatch(/Syntax|xref|Illegal character/i);
    expect(text).toMatch(/What to do: Open the file on your computer/);
    await shot("job-failed");
  });

  it("says plainly that a mistyped or unknown job address names no job, with ways on", async () => {
    for (const id of ["not-a-job", "job_00000000000000000000000000"]) {
      await page.goto(`${stack.url}/jobs/${id}`);
      await page.getByRole("heading", { name: "No such job" }).waitFor();
      expect(await page.getByTestId("no-such-job").textContent()).not.toMatch(/validation_failed|Fix the fields/);
      expect(await page.getByRole("link", { name: "History" }).last().getAttribute("href")).toBe("/jobs");
    }
  });

  it("sends a large file in parts, resumes it after the connection broke and after a reload, and cancels the job", async () => {
    const noise = stack.fixtures.path("poster.png");
    execFileSync("convert", ["-size", "2000x2000", "xc:", "+noise", "Random", noise]);
    const parts = Math.ceil(readFileSync(noise).length / (5 * MiB));
    expect(parts).toBeGreaterThanOrEqual(3);
    await page.goto(stack.url);
    // The first try of parts 2 and 3 breaks off, as a dropped connection would.
    const broken = new Set<string>();
    await page.route(/\/v1\/uploads\/[^/]+\/parts\/[23]$/, (route) => {
      const part = route.request().url().split("/").at(-1) ?? "";
      if (broken.has(part)) return route.continue();
      broken.add(part);
      return route.abort("connectionreset");
    });
    await page.locator("#file-input").setInputFiles([noise]);
    await expect.poll(() => page.getByTestId("upload-estimate").textContent()).toMatch(/sent in parts/);
    await page.getByRole("button", { name: "Upload 1 file" }).click();
    // Sent again on the page: part 2 again, part 3 breaks off.
    await page.getByRole("button", { name: "Send poster.png again" }).click();
    await page.getByRole("button", { name: "Send poster.png again" }).waitFor();
    // A reload, and the same file chosen again: only what the API lacks is sent.
    await page.reload();
    await page.locator("#file-input").setInputFiles([noise]);
    await page.getByRole("button", { name: "Upload 1 file" }).click();
    await page.getByRole("link", { name: "Open job" }).waitFor({ timeout: 60_000 });
    const puts = requests.filter((r) => r.method === "PUT").map((r) => r.path.split("/").at(-1));
    const rest = Array.from({ length: parts - 2 }, (_, i) => String(i + 3));
    expect(puts).toEqual(["1", "2", "2", "3", ...rest]);
    expect(requests.filter((r) => r.method === "POST" && r.path === "/v1/uploads")).toHaveLength(1);
    await page.getByRole("link", { name: "Open job" }).click();
    await page.getByRole("button", { name: "Cancel job" }).click();
    await page.getByTestId("job-status").locator('[data-status="canceled"]').waitFor({ timeout: 60_000 });
  });

  it("lists jobs with counts, filters and search", async () => {
    await page.goto(`${stack.url}/jobs`);
    await page.getByTestId("job-row").first().waitFor();
    // The invoice, the talk, the turned scan, the JPEG 2000 scan and the German letter; the broken PDF;
    // the canceled poster.
    expect(await page.getByTestId("job-row").count()).toBe(7);
    expect(await page.getByTestId("status-counts").textContent()).toMatch(/Succeeded: 5.*Failed: 1.*Canceled: 1/);
    await page.getByLabel("Search by file name").fill("invoice");
    await expect.poll(() => page.getByTestId("job-row").count()).toBe(1);
    // The filters are in the address: a reload (or the link, shared) opens the same list.
    await expect.poll(() => new URL(page.url()).search).toBe("?q=invoice");
    // Every address the page writes in place of its own from now on, to see it never drops the filters
    // it was opened with, even for a moment (a test that reads the address then would see it without).
    await page.addInitScript(`
      window.written = [];
      const replace = history.replaceState.bind(history);
      history.replaceState = (data, unused, url) => {
        window.written.push(String(url));
        replace(data, unused, url);
      };
    `);
    await page.reload();
    await expect.poll(() => page.getByTestId("job-row").allTextContents()).toEqual([expect.stringMatching(/invoice/)]);
    expect(await page.getByLabel("Search by file name").inputValue()).toBe("invoice");
    const written = await page.evaluate<string[]>("window.written");
    expect(written.filter((url) => !url.includes("q=invoice"))).toEqual([]);
    // A search that finds nothing says so (not "no jobs yet") and offers to clear the filters.
    await page.getByLabel("Status", { exact: true }).selectOption("failed");
    await expect.poll(() => new URL(page.url()).search).toBe("?q=invoice&status=failed");
    await expect.poll(() => page.getByTestId("history-empty").textContent()).toMatch(/No jobs match these filters/);
    await page.getByRole("button", { name: "Clear filters" }).click();
    await expect.poll(() => page.getByTestId("job-row").count()).toBe(7);
    expect(new URL(page.url()).search).toBe("");
    expect(await page.getByLabel("Search by file name").inputValue()).toBe("");
    await page.goto(`${stack.url}/jobs?kind=av&status=nonsense`);
    await expect
      .poll(() => page.getByTestId("job-row").allTextContents())
      .toEqual([expect.stringMatching(/talk\.mp3/)]);
    expect(await page.getByLabel("Kind").inputValue()).toBe("av");
    expect(new URL(page.url()).search).toBe("?kind=av");
    await page.getByLabel("Kind").selectOption("");
    await shot("history");
    // Opened from the list (no page load): a finished job still shows its whole timeline.
    await page.getByRole("link", { name: "invoice.pdf" }).click();
    await expect
      .poll(() => page.getByTestId("timeline").textContent())
      .toMatch(/Queued[\s\S]*Processing[\s\S]*Succeeded/);
    expect(await page.title()).toBe("invoice.pdf · Verbatim");
  });

  it("deletes a finished job for good, asking first, and shows the history without it", async () => {
    await page.goto(`${stack.url}/jobs`);
    await page.getByRole("link", { name: "broken.pdf" }).click();
    await page.getByRole("button", { name: "Delete job…" }).click();
    await page.getByRole("button", { name: "Keep it" }).click();
    await page.getByRole("button", { name: "Delete job…" }).click();
    await page.getByRole("button", { name: "Delete for good" }).click();
    await page.waitForURL(`${stack.url}/jobs`);
    await expect.poll(() => page.getByTestId("job-row").count()).toBe(6);
    await expect.poll(() => page.getByTestId("status-counts").textContent()).toMatch(/Failed: 0/);
    expect(await page.getByRole("link", { name: "broken.pdf" }).count()).toBe(0);
  });

  it("plays a video beside its transcript on a wide screen, and keeps the focus on Upload while sending", async () => {
    const clip = await stack.fixtures.videoWithAudio(await stack.fixtures.speech("clip.wav", SPOKEN), "clip.webm");
    await page.goto(stack.url);
    await page.locator("#file-input").setInputFiles([clip]);
    const upload = page.getByRole("button", { name: "Upload 1 file" });
    await upload.click();
    // The button stays where the focus was (a disabled one would drop it to the page).
    await expect.poll(() => page.getByRole("link", { name: "Open job" }).count(), { timeout: 60_000 }).toBe(1);
    expect(await page.evaluate<string>("document.activeElement.textContent")).toMatch(/^Upload/);
    expect(await page.evaluate<string>("document.activeElement.getAttribute('aria-disabled')")).toBe("true");
    await page.getByRole("link", { name: "Open job" }).click();
    await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: 120_000 });
    await page.getByRole("tab", { name: "Transcript" }).click();
    await page
      .getByRole("button", { name: /^Play from / })
      .first()
      .waitFor();
    const video = await page.locator("video").boundingBox();
    const transcript = await page.getByTestId("transcript").boundingBox();
    // Side by side, so the transcript starts above the fold of an 800 px window.
    expect(video && transcript).toBeTruthy();
    if (!video || !transcript) return;
    expect(transcript.x).toBeGreaterThanOrEqual(video.x + video.width);
    expect(transcript.y).toBeLessThan(800);
    await shot("job-video");
  });

  it("tells a new account's empty history from a search that finds nothing, and works on a phone", async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const phone = await context.newPage();
    await phone.goto(stack.url);
    await phone.getByLabel("Email").fill("new@example.test");
    await phone.getByRole("button", { name: "Sign in" }).click();
    await phone.getByRole("heading", { name: "Upload" }).waitFor();
    // The header fits in two rows; nothing runs off the screen's side.
    const header = await phone.locator("header.app-header").boundingBox();
    expect(header?.height).toBeLessThanOrEqual(120);
    await phone.getByRole("link", { name: "History" }).click();
    await expect.poll(() => phone.getByTestId("history-empty").textContent()).toMatch(/No jobs yet/);
    // A file dropped on a page that takes none is not opened by the browser (which would leave the app).
    expect(await dropFile("main", "stray.txt", phone)).toBe(true);
    expect(new URL(phone.url()).pathname).toBe("/jobs");
    const search = await phone.getByLabel("Search by file name").boundingBox();
    expect(search?.width).toBeGreaterThanOrEqual(200);
    const label = await phone.locator('label[for="job-search"]').boundingBox();
    expect(label?.height).toBeLessThan(30);
    expect(
      await phone.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth"),
    ).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SHOTS, "history-phone.png"), fullPage: true });
    await phone.getByRole("link", { name: "Upload a file" }).click();
    await phone.getByRole("heading", { name: "Upload" }).waitFor();

    // Three pages at once for an account that may run one job at a time: the warnings are the
    // prediction before sending; once sent, each row shows what happened to its own job.
    const admin = { authorization: `Bearer ${stack.createKey("admin@example.test", true)}` };
    const found = (await (
      await fetch(`${stack.url}/v1/admin/users?email=new@example.test`, { headers: admin })
    ).json()) as { data: { id: string }[] };
    const limited = await fetch(`${stack.url}/v1/admin/users/${found.data[0]?.id}/limits`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json" },
      body: JSON.stringify({ max_concurrent_jobs: 1 }),
    });
    expect(limited.status).toBe(200);
    const sheet = await stack.fixtures.textImage("one.png", PAGE_TEXT);
    const copies = await Promise.all(
      ["one", "two", "three"].map((n) => stack.fixtures.convertImage(sheet, `${n}.jpg`)),
    );
    await phone.reload();
    await phone.locator("#file-input").setInputFiles(copies);
    const rows = phone.getByTestId("upload-item");
    await expect.poll(() => phone.locator(".upload-item .warning").count()).toBe(2);
    await phone.getByRole("button", { name: "Upload 3 files" }).click();
    await expect
      .poll(() => rows.evaluateAll((items) => items.map((i) => i.getAttribute("data-state"))), { timeout: 60_000 })
      .not.toContain("uploading");
    const states = await rows.evaluateAll((items) =>
      items.map((i) => `${i.getAttribute("data-state")}:${i.querySelectorAll(".warning").length}`),
    );
    expect(states.filter((state) => state === "sent:0").length).toBeGreaterThanOrEqual(1);
    for (const state of states) expect(state).toMatch(/^(sent|failed):0$/);
    // A refused one says why, in its own row.
    for (const refused of await phone.locator('[data-testid="upload-item"][data-state="failed"]').all()) {
      expect(await refused.textContent()).toMatch(/quota_exceeded/);
    }
    await context.close();
  });

  it("creates an API key shown once, which works until it is revoked", async () => {
    await page.goto(`${stack.url}/account`);
    // What the user holds open is counted against its caps.
    await expect.poll(() => page.getByTestId("usage-section").textContent()).toMatch(/API keys\d+ of 100 keys/);
    await expect
      .poll(() => page.getByTestId("usage-section").textContent())
      .toMatch(/Unfinished uploads\d+ of 20 uploads/);
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

  it("adds a webhook endpoint, sends it a test event and shows the delivery", async () => {
    const { port } = receiver.address() as AddressInfo;
    await page.getByLabel("Endpoint URL").fill(`http://127.0.0.1:${port}/hook`);
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const secret = page.getByTestId("new-secret-value");
    await secret.waitFor();
    expect(await secret.inputValue()).toMatch(/^whsec_/);
    await page.getByRole("button", { name: "Send test" }).click();
    await expect
      .poll(() => page.getByTestId("endpoint-note").textContent(), { timeout: 60_000 })
      .toMatch(/Delivered: HTTP 200/);
    expect(received.some((id) => id?.startsWith("evt_"))).toBe(true);
    await page.getByRole("button", { name: "Deliveries" }).click();
    await expect.poll(() => page.getByRole("table").last().textContent()).toMatch(/webhook\.test/);
    await shot("account-webhooks");
    expect(await accessibilityProblems()).toEqual([]);
  });

  it("shows a refused call's error code and request id", async () => {
    await page.getByLabel("Endpoint URL").fill("https://user:secret@hooks.example.com/hook");
    await page.getByRole("button", { name: "Add endpoint" }).click();
    const requestId = page.getByTestId("request-id").first();
    await requestId.waitFor();
    const id = (await requestId.textContent()) ?? "";
    expect(id.length).toBeGreaterThan(8);
    expect(stack.records(id).some((r) => r.msg === "request")).toBe(true);
  });

  it("can be used from the keyboard: a skip link first, and a visible focus", async () => {
    await page.goto(`${stack.url}/jobs`);
    await page.getByTestId("job-row").first().waitFor();
    await page.keyboard.press("Tab");
    const focused = page.locator(":focus");
    expect(await focused.textContent()).toBe("Skip to content");
    const outline = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
    expect(outline).not.toBe("none");
    expect(await accessibilityProblems()).toEqual([]);
  });

  it("works at a phone's width and in the dark theme", async () => {
    await page.getByLabel("Theme").selectOption("dark");
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto(`${stack.url}/jobs/${pdfJob}`);
    await page.getByTestId("result-text").waitFor();
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    // The text wraps at the screen's edge instead of running off it, and starts with its first line.
    const text = page.getByTestId("result-text");
    const inText = (expression: string) =>
      page.evaluate<string | number>(
        `(() => { const el = document.querySelector('[data-testid="result-text"]'); return ${expression}; })()`,
      );
    expect(await inText("getComputedStyle(el.querySelector('pre')).whiteSpace")).toBe("pre-wrap");
    expect(await inText("el.scrollWidth - el.clientWidth")).toBeLessThanOrEqual(0);
    expect(((await text.textContent()) ?? "").charAt(0)).not.toBe("\n");
    await shot("job-phone-dark");
    await page.getByLabel("Theme").selectOption("light");
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it("serves the interactive API reference at /docs/, without signing in", async () => {
    const reader = await browser.newPage();
    const problems: string[] = [];
    reader.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    reader.on("pageerror", (e) => problems.push(e.message));
    await reader.goto(`${stack.url}/docs/`);
    await reader.getByRole("heading", { name: /Verbatim API/ }).waitFor();
    await reader.locator(".opblock").first().waitFor();
    expect(await reader.locator(".opblock").count()).toBeGreaterThan(20);
    await reader.screenshot({ path: join(SHOTS, "api-reference.png") });
    // A way back to the app, and the theme: dark when the system (or the app's choice) says so.
    expect(await reader.getByRole("link", { name: "← Back to Verbatim" }).getAttribute("href")).toBe("/");
    const filter = () => reader.evaluate<string>("getComputedStyle(document.querySelector('.swagger-ui')).filter");
    expect(await filter()).toBe("none");
    await reader.emulateMedia({ colorScheme: "dark" });
    expect(await filter()).toMatch(/invert/);
    await reader.emulateMedia({ colorScheme: "light" });
    // "Try it out" with a key: the reference calls the API as a client would.
    await reader
      .getByRole("button", { name: /Authorize/ })
      .first()
      .click();
    await reader.locator(".auth-container input").first().fill(stack.key);
    await reader.locator(".auth-btn-wrapper button.authorize").click();
    await reader.locator(".auth-btn-wrapper button.btn-done").click();
    await reader.locator("#operations-Usage-getUsage").click();
    await reader.getByRole("button", { name: "Try it out" }).click();
    await reader.getByRole("button", { name: "Execute" }).click();
    await reader.locator(".live-responses-table tbody .response-col_status").first().waitFor();
    expect(await reader.locator(".live-responses-table tbody .response-col_status").first().textContent()).toMatch(
      /200/,
    );
    expect(problems).toEqual([]);
    await reader.close();
  });

  it("logged no errors in the console other than the refused call, the broken-off part and the unknown job", async () => {
    const unexpected = consoleErrors.filter((e) => !/status of (422|404)|ERR_CONNECTION_RESET/.test(e));
    expect(unexpected).toEqual([]);
  });

  it("signs out", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
  });
});

describe("the web UI deployed apart from the API (as on Pages)", () => {
  it("signs in, lists jobs and follows one live across origins, under its own CSP", async () => {
    const origin = pages.origin;
    const context = await browser.newContext();
    const other = await context.newPage();
    const problems: string[] = [];
    const calls: string[] = [];
    other.on("console", (m) => {
      if (m.type() === "error") problems.push(m.text());
    });
    other.on("pageerror", (e) => problems.push(e.message));
    other.on("request", (r) => calls.push(new URL(r.url()).origin));
    await other.goto(`${origin}/`);
    await other.getByLabel("Email").fill("web@example.test");
    await other.getByRole("button", { name: "Sign in" }).click();
    await other.getByRole("heading", { name: "Upload" }).waitFor();
    await other.goto(`${origin}/jobs`);
    await other.getByTestId("job-row").first().waitFor();
    await other.getByRole("link", { name: "invoice.pdf" }).click();
    await expect.poll(() => other.getByTestId("timeline").textContent()).toMatch(/Succeeded/);
    await other.getByTestId("result-text").waitFor();
    // The API was called on its own origin, the UI's files on theirs.
    expect(new Set(calls)).toEqual(new Set([origin, stack.url]));
    expect(problems).toEqual([]);
    await context.close();
  });
});
