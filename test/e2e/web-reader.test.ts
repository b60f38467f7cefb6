import { readFileSync } from "node:fs";
import { join } from "node:path";
import AxeBuilder from "@axe-core/playwright";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OcrResult } from "../../contracts/results";
import { launchChromium } from "./browser";
import { type E2eStack, STACK_WORK_MS, startE2eStack } from "./stack";

/**
 * The Pages tab as a reader, in Debian's Chromium against the stack as `npm run dev` starts it: the
 * text on a scanned page selected with the mouse and copied, zoom with the boxes and the text
 * following the page, thumbnails and a page jump, and the touch wording at a phone's size.
 */
const SHOTS = join(import.meta.dirname, "../../docs/screenshots");
const EMAIL = "reader@example.test";
/** Five scanned pages, two printed lines each. */
const PAGE_LINES = [
  ["Invoice number 4711 from Verbatim", "Total amount due is 1234 euros"],
  ["The parcel left our warehouse today", "It should reach you within two days"],
  ["Opening hours are nine to six", "Gift vouchers never expire"],
  ["Our reading club meets on Mondays", "Ask at the counter for details"],
  ["With kind regards from the bookshop", "See you again soon"],
];

let stack: E2eStack;
let browser: Browser;
let jobId = "";
let result: OcrResult;
const problems: string[] = [];

/** A signed-in context (a session of the development issuer, as the sign-in page makes one). */
async function signedIn(
  options: Parameters<Browser["newContext"]>[0],
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(m.text());
  });
  page.on("pageerror", (e) => problems.push(`uncaught: ${e.message}`));
  await page.goto(stack.url);
  await page.getByLabel("Email").fill(EMAIL);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Upload" }).waitFor();
  return { context, page };
}

/** The job's Pages tab, with page 1 drawn and its text layer in place. */
async function openPages(page: Page) {
  await page.goto(`${stack.url}/jobs/${jobId}`);
  await page.getByTestId("job-status").locator('[data-status="succeeded"]').waitFor({ timeout: STACK_WORK_MS });
  await page.getByRole("tab", { name: "Pages" }).click();
  await pageSection(page, 1).locator("canvas.drawn").waitFor();
  await pageSection(page, 1).getByTestId("text-layer").waitFor({ state: "attached" });
}

const pageSection = (page: Page, n: number) => page.locator(`[data-testid="result-page"][data-page="${n}"]`);

beforeAll(async () => {
  stack = await startE2eStack();
  const images = await Promise.all(
    PAGE_LINES.map((lines, i) => stack.fixtures.scannedPage(`reader-${i + 1}.png`, lines)),
  );
  const scan = await stack.fixtures.scannedPdf("reader.pdf", images);
  // Uploaded as the user who signs in (a session of the same email), through the API.
  const session = (await (
    await stack.call("/dev/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: EMAIL }),
    })
  ).json()) as { token: string };
  const form = new FormData();
  form.append("file", new File([readFileSync(scan)], "reader.pdf"));
  const auth = { authorization: `Bearer ${session.token}` };
  const created = await stack.call("/v1/jobs", { method: "POST", body: form, headers: auth });
  expect(created.status).toBe(202);
  jobId = ((await created.json()) as { id: string }).id;
  const job = async () =>
    (await (await stack.call(`/v1/jobs/${jobId}`, { headers: auth })).json()) as { status: string };
  const deadline = Date.now() + 4 * STACK_WORK_MS;
  let status = (await job()).status;
  while (!["succeeded", "failed", "canceled"].includes(status) && Date.now() < deadline) {
    await new Promise((done) => setTimeout(done, 1000));
    status = (await job()).status;
  }
  expect(status).toBe("succeeded");
  const json = await stack.call(`/v1/jobs/${jobId}/result?format=json`, { headers: auth });
  result = (await json.json()) as OcrResult;
  // The fixture is what the tests below assume: each page read with its words.
  for (const [i, lines] of PAGE_LINES.entries()) {
    expect(result.pages[i]?.text.replace(/\s+/g, " ").trim()).toBe(lines.join(" "));
  }
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("the page view as a reader", () => {
  let page: Page;
  let context: BrowserContext;

  beforeAll(async () => {
    ({ context, page } = await signedIn({ viewport: { width: 1280, height: 900 } }));
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: stack.url });
  });
  afterAll(async () => context?.close());

  it("selects the text on a page with a mouse drag, in reading order, and copies it", async () => {
    await openPages(page);
    expect(await page.getByTestId("pages-legend").textContent()).toMatch(/Hover over a line/);
    const layer = pageSection(page, 1).getByTestId("text-layer");
    const first = layer.locator("span").first();
    const last = layer.locator("span").last();
    expect(await first.textContent()).toBe("Invoice");
    expect(await last.textContent()).toBe("euros");
    await first.scrollIntoViewIfNeeded();
    const from = await first.boundingBox();
    const to = await last.boundingBox();
    if (!from || !to) throw new Error("the text layer has no boxes");
    // From the margin left of the first word to past the end of the last, as a reader drags.
    await page.mouse.move(from.x - 30, from.y + from.height / 2);
    await page.mouse.down();
    await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
    await page.mouse.move(to.x + to.width + 30, to.y + to.height / 2, { steps: 5 });
    await page.mouse.up();
    const selected = await page.evaluate<string>("getSelection().toString()");
    expect(selected).toBe(`${PAGE_LINES[0]?.[0]}\n${PAGE_LINES[0]?.[1]}`);
    // Ctrl+C puts the same text on the clipboard.
    await page.keyboard.press("Control+c");
    expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(selected);
  });

  it("lays each word of the text over its word on the page", async () => {
    await checkAlignment(page, 1);
  });

  it("shows a line's text when the pointer is over it, though the text layer lies above the boxes", async () => {
    const line = pageSection(page, 1).locator(".results-line").first();
    await line.scrollIntoViewIfNeeded();
    const box = await line.boundingBox();
    if (!box) throw new Error("no line box");
    await page.mouse.click(box.x + box.width / 2, box.y - 40);
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const tip = pageSection(page, 1).getByRole("tooltip");
    await expect.poll(() => tip.textContent()).toMatch(/^Invoice number 4711 from VerbatimConfidence \d+%/);
    // Away from the lines, it goes.
    await page.mouse.move(box.x + box.width / 2, box.y - 40);
    await expect.poll(() => tip.count()).toBe(0);
    // From the keyboard: the line boxes are one Tab stop, the arrow keys move between them.
    await line.focus();
    await page.keyboard.press("ArrowDown");
    await expect.poll(() => tip.textContent()).toMatch(/^Total amount due is 1234 euros/);
    await page.keyboard.press("Escape");
    await expect.poll(() => tip.count()).toBe(0);
  });

  it("zooms in and out with the boxes and the text staying on their words", async () => {
    const frame = pageSection(page, 1).locator(".results-page-frame");
    const level = page.getByTestId("zoom-level");
    expect(await level.textContent()).toBe("100%");
    const fitted = (await frame.boundingBox())?.width ?? 0;

    await page.getByRole("button", { name: "Zoom in" }).click();
    await page.getByRole("button", { name: "Zoom in" }).click();
    await expect.poll(() => level.textContent()).toBe("150%");
    await expect.poll(async () => (await frame.boundingBox())?.width ?? 0).toBeCloseTo(fitted * 1.5, 0);
    await checkAlignment(page, 1);
    // The viewer scrolls across to the rest of the page; the window does not.
    expect(await page.evaluate("document.documentElement.scrollWidth - window.innerWidth")).toBeLessThanOrEqual(0);
    const viewer = page.getByTestId("page-viewer");
    expect(await viewer.evaluate((v) => v.scrollWidth > v.clientWidth)).toBe(true);
    // The canvas is drawn again for the new size (sharp, not stretched).
    const canvas = pageSection(page, 1).locator("canvas");
    await expect
      .poll(() => canvas.evaluate((c) => (c as unknown as { width: number }).width))
      .toBeGreaterThanOrEqual(Math.floor(fitted * 1.5) - 2);

    await page.getByRole("button", { name: "Fit width" }).click();
    await page.getByRole("button", { name: "Zoom out" }).click();
    await expect.poll(() => level.textContent()).toBe("75%");
    await expect.poll(async () => (await frame.boundingBox())?.width ?? 0).toBeCloseTo(fitted * 0.75, 0);
    await checkAlignment(page, 1);
    await page.getByRole("button", { name: "Fit width" }).click();
    await expect.poll(() => level.textContent()).toBe("100%");
  });

  it("goes to a page from its thumbnail or its number, and shows that page's text", async () => {
    const thumbnails = page.getByRole("navigation", { name: "Page thumbnails" }).getByRole("button");
    expect(await thumbnails.count()).toBe(PAGE_LINES.length);
    // Thumbnails are drawn by PDF.js, small.
    const drawn = page.getByRole("navigation", { name: "Page thumbnails" }).locator("canvas.drawn").first();
    await drawn.waitFor();
    expect(await drawn.evaluate((c) => c.getBoundingClientRect().width)).toBeLessThanOrEqual(64);

    await page.getByRole("button", { name: "Page 4", exact: true }).click();
    await expect.poll(() => shownPage(page)).toBe(4);
    await expect.poll(() => visibleText(page, 4)).toBe(PAGE_LINES[3]?.join(" "));
    expect(await page.getByRole("button", { name: "Page 4" }).getAttribute("aria-current")).toBe("page");
    expect(await page.getByLabel("Go to page").inputValue()).toBe("4");

    await page.getByLabel("Go to page").fill("2");
    await page.getByLabel("Go to page").press("Enter");
    await expect.poll(() => shownPage(page)).toBe(2);
    await expect.poll(() => visibleText(page, 2)).toBe(PAGE_LINES[1]?.join(" "));
    expect(await page.getByRole("button", { name: "Page 2" }).getAttribute("aria-current")).toBe("page");

    // From the keyboard: the strip is one Tab stop (the current page), the arrow keys move along it.
    expect(await thumbnails.evaluateAll((all) => all.map((b) => b.getAttribute("tabindex")))).toEqual([
      "-1",
      "0",
      "-1",
      "-1",
      "-1",
    ]);
    await page.getByRole("button", { name: "Page 2" }).focus();
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Enter");
    await expect.poll(() => shownPage(page)).toBe(3);
    await expect.poll(() => visibleText(page, 3)).toBe(PAGE_LINES[2]?.join(" "));
    await pageSection(page, 3).locator("canvas.drawn").waitFor();
    await page.screenshot({ path: join(SHOTS, "pages-reader.png") });
    // Accessibility rules (axe-core, WCAG 2 A/AA) broken in a serious or critical way: none.
    const { violations } = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).analyze();
    const serious = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(serious.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`)).toEqual([]);
  });

  it("logged no errors in the console", () => {
    expect(problems).toEqual([]);
  });
});

describe("the page view on a phone", () => {
  it("says to tap a line, not to hover over it, and fits the screen", async () => {
    const phone = { width: 390, height: 844 };
    // On a mobile viewport, innerWidth grows to what overflows: the phone's width is what counts.
    const overflow = () => page.evaluate<number>(`document.documentElement.scrollWidth - ${phone.width}`);
    const { context, page } = await signedIn({
      viewport: phone,
      hasTouch: true,
      isMobile: true,
      deviceScaleFactor: 2,
    });
    await openPages(page);
    const legend = page.getByTestId("pages-legend");
    expect(await legend.textContent()).toMatch(/Tap a line/);
    expect(await legend.textContent()).not.toMatch(/Hover/);
    expect(await overflow()).toBeLessThanOrEqual(0);
    // A tap on a line shows its text.
    const line = pageSection(page, 1).locator(".results-line").first();
    await line.scrollIntoViewIfNeeded();
    const box = await line.boundingBox();
    if (!box) throw new Error("no line box");
    await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
    await expect.poll(() => pageSection(page, 1).getByRole("tooltip").textContent()).toMatch(/^Invoice number 4711/);
    await checkAlignment(page, 1);
    // Zoomed in, the page scrolls inside its viewer; the screen still does not scroll sideways.
    await page.getByRole("button", { name: "Zoom in" }).tap();
    await expect.poll(() => page.getByTestId("zoom-level").textContent()).toBe("125%");
    await expect
      .poll(async () => (await pageSection(page, 1).locator("canvas").boundingBox())?.width ?? 0)
      .toBeGreaterThan(phone.width);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await context.close();
    expect(problems).toEqual([]);
  });
});

/**
 * Every word of page `n` in the text layer lies on its box (the OCR JSON's, scaled to the drawn
 * page) within 2 px, and the first word of each line starts where the line's box starts.
 */
async function checkAlignment(page: Page, n: number) {
  const section = pageSection(page, n);
  const ocrPage = result.pages.find((p) => p.page === n);
  if (!ocrPage) throw new Error(`no page ${n}`);
  const frame = await section.locator(".results-page-frame").boundingBox();
  if (!frame) throw new Error("no frame");
  const sx = frame.width / ocrPage.width;
  const sy = frame.height / ocrPage.height;
  // The frame's border (1 px) is outside the boxes' space.
  const inner = await section
    .locator(".results-page-frame")
    .evaluate((f) => ({ left: f.clientLeft, top: f.clientTop, width: f.clientWidth, height: f.clientHeight }));
  const ix = inner.width / ocrPage.width;
  const iy = inner.height / ocrPage.height;
  expect(Math.abs(ix - sx)).toBeLessThan(0.01);
  expect(Math.abs(iy - sy)).toBeLessThan(0.01);
  // Each word spans its line's height (see text-layer.ts).
  const words = ocrPage.blocks.flatMap((b) =>
    b.lines.flatMap((l) => l.words.map((w) => ({ ...w, bbox: [w.bbox[0], l.bbox[1], w.bbox[2], l.bbox[3]] as const }))),
  );
  const spans = await section
    .getByTestId("text-layer")
    .locator("span")
    .evaluateAll((all) =>
      all.map((s) => {
        const r = s.getBoundingClientRect();
        return { text: s.textContent ?? "", left: r.left, top: r.top, right: r.right, bottom: r.bottom };
      }),
    );
  expect(spans.map((s) => s.text)).toEqual(words.map((w) => w.text));
  const x = (value: number) => frame.x + inner.left + value * ix;
  const y = (value: number) => frame.y + inner.top + value * iy;
  for (const [i, word] of words.entries()) {
    const span = spans[i];
    const [x0, y0, x1, y1] = word.bbox;
    expect(Math.abs((span?.left ?? 0) - x(x0)), `${word.text} left`).toBeLessThanOrEqual(2);
    expect(Math.abs((span?.right ?? 0) - x(x1)), `${word.text} right`).toBeLessThanOrEqual(2);
    expect(Math.abs((span?.top ?? 0) - y(y0)), `${word.text} top`).toBeLessThanOrEqual(2);
    expect(Math.abs((span?.bottom ?? 0) - y(y1)), `${word.text} bottom`).toBeLessThanOrEqual(2);
  }
  // The first word of each line starts where its line's box starts (the boxes drawn on the page).
  const lineBoxes = await section.locator(".results-line").evaluateAll((all) =>
    all.map((b) => {
      const r = b.getBoundingClientRect();
      return { left: r.left, top: r.top };
    }),
  );
  const lines = ocrPage.blocks.flatMap((b) => b.lines);
  expect(lineBoxes).toHaveLength(lines.length);
  let at = 0;
  for (const [i, line] of lines.entries()) {
    const span = spans[at];
    at += line.words.length;
    expect(Math.abs((span?.left ?? 0) - (lineBoxes[i]?.left ?? 0)), `line ${i} left`).toBeLessThanOrEqual(2);
  }
}

/** The page at the top of the viewer. */
async function shownPage(page: Page): Promise<number> {
  return page.getByTestId("page-viewer").evaluate((viewer) => {
    const top = viewer.getBoundingClientRect().top;
    const sections = [...viewer.querySelectorAll("[data-page]")];
    const shown = sections.filter((s) => s.getBoundingClientRect().top <= top + 4).at(-1) ?? sections[0];
    return Number(shown?.getAttribute("data-page"));
  });
}

/** The text of page `n`'s text layer, if it is in the viewer's view. */
async function visibleText(page: Page, n: number): Promise<string> {
  return pageSection(page, n).evaluate((section) => {
    const viewer = section.closest('[data-testid="page-viewer"]');
    const layer = section.querySelector('[data-testid="text-layer"]');
    if (!viewer || !layer) return "";
    const v = viewer.getBoundingClientRect();
    const r = layer.getBoundingClientRect();
    const inView = r.bottom > v.top && r.top < v.bottom;
    return inView ? [...layer.querySelectorAll("span")].map((s) => s.textContent).join(" ") : "";
  });
}
