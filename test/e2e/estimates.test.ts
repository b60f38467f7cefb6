import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "./browser";
import { type E2eStack, startE2eStack } from "./stack";

/**
 * The upload page's estimates against what happens: after the stack has run jobs of a few sizes
 * (as any deployment soon has), the time the page announces for a new file before it is sent is
 * within ±50 % of the time the job then takes, from submission to its end.
 */
const SHEET = ["Invoice number 4711 from Verbatim", "Total amount due is 1234 euros", "Paid in December"];

let stack: E2eStack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startE2eStack();
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
});
afterAll(async () => {
  await browser?.close();
  stack?.stop();
});

describe("estimates before an upload", () => {
  it("are within half of the time the job takes, for a PDF and a recording", async () => {
    const sheet = await stack.fixtures.textImage("sheet.png", SHEET);
    // What the deployment has measured, three jobs of each size (a deployment soon has many, and
    // each point of a curve is a median): scanned PDFs of 4 and 8 pages, speech of 30 s and 1 min.
    for (const pages of [4, 8]) {
      const file = await stack.fixtures.scannedPdf(`seed-${pages}.pdf`, Array(pages).fill(sheet));
      for (const n of [1, 2, 3]) expect((await stack.runToEnd(file, `${n}-seed.pdf`)).job.status).toBe("succeeded");
    }
    for (const repeats of [2, 4]) {
      const file = await stack.fixtures.talk(`seed-${repeats}`, repeats);
      for (const n of [1, 2, 3]) expect((await stack.runToEnd(file, `${n}-seed.mp3`)).job.status).toBe("succeeded");
    }
    const pdf = await stack.fixtures.scannedPdf("report.pdf", Array(6).fill(sheet));
    const talk = await stack.fixtures.talk("interview", 3);

    // Signed in as the stack's own user, whose jobs the test reads through the API.
    await page.goto(stack.url);
    await page.getByLabel("Email").fill("e2e@example.test");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Upload" }).waitFor();
    // One at a time, as estimates are made for one file on an idle stack.
    for (const [file, name] of [
      [pdf, "report.pdf"],
      [talk, "interview.mp3"],
    ] as const) {
      await page.reload();
      await page.locator("#file-input").setInputFiles([file]);
      const text = page.getByTestId("upload-estimate");
      await expect.poll(() => text.getAttribute("data-estimate-s")).not.toBeNull();
      expect(await text.textContent()).toMatch(/done in about \d+ s once sent/);
      const estimated = Number(await text.getAttribute("data-estimate-s"));
      await page.getByRole("button", { name: "Upload 1 file" }).click();
      const link = page.getByRole("link", { name: "Open job" });
      await link.waitFor({ timeout: 60_000 });
      const id = ((await link.getAttribute("href")) ?? "").split("/").at(-1) ?? "";
      await stack.follow(id, () => {});
      // The typical time of this file: the median of the job sent from the page and two more.
      const times = [await stack.getJob(id)];
      for (const again of [1, 2]) times.push((await stack.runToEnd(file, `${again}-${name}`)).job);
      const took = times
        .map((job) => {
          expect(job.status).toBe("succeeded");
          return (Date.parse(job.finished_at ?? "") - Date.parse(job.created_at)) / 1000;
        })
        .sort((a, b) => a - b)[1] as number;
      const off = Math.abs(estimated - took) / took;
      console.log(`estimate ${name}: ${estimated.toFixed(2)} s; took ${took.toFixed(2)} s (median of 3)`);
      expect(off, `${name}: estimated ${estimated.toFixed(1)} s, took ${took.toFixed(1)} s`).toBeLessThanOrEqual(0.5);
    }
  });
});
