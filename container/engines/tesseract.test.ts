import { execFile as execFileCallback } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MediaFixtures, pdfPageCount } from "../../test/support/media-fixtures";
import { execFile } from "../exec";
import { tesseract } from "./tesseract";

const exec = promisify(execFileCallback);
let fixtures: MediaFixtures;

beforeAll(async () => {
  fixtures = new MediaFixtures(await mkdtemp(join(tmpdir(), "verbatim-tesseract-test-")));
});
afterAll(() => rm(fixtures.dir, { recursive: true, force: true }));

describe("tesseract.recognize", () => {
  it("recognizes several images in one run: each page's words in order, one PDF page each, progress per page", async () => {
    const first = await fixtures.textImage("first.png", ["The first page is short."]);
    // A full A4 page at 300 dpi, so that its recognition takes long enough to tell per-page progress from the end.
    const second = fixtures.path("second.png");
    const lines = Array.from({ length: 20 }, (_, index) => `Line ${index + 1} of the second page is here.`);
    await exec("convert", [
      ...["-size", "2480x3508", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "42", "-fill", "black"],
      ...lines.flatMap((line, index) => ["-annotate", `+200+${250 + index * 120}`, line]),
      second,
    ]);
    const third = await fixtures.textImage("third.png", ["And the third page ends it."]);

    const reported: { index: number; at: number }[] = [];
    const { layouts, pdfPath } = await tesseract.recognize(
      execFile,
      [
        { path: first, page: 4 },
        { path: second, page: 5 },
        { path: third, page: 6 },
      ],
      {
        language: "eng",
        outputBase: fixtures.path("run"),
        onPage: (index) => reported.push({ index, at: performance.now() }),
      },
    );
    const ended = performance.now();

    expect(layouts.map((layout) => layout.text.split("\n")[0])).toEqual([
      "The first page is short.",
      "Line 1 of the second page is here.",
      "And the third page ends it.",
    ]);
    expect(layouts.map(({ width, height }) => [width, height])).toEqual([
      [1240, 480],
      [2480, 3508],
      [1240, 480],
    ]);
    expect(await pdfPageCount(pdfPath)).toBe(3);
    expect(reported.map(({ index }) => index)).toEqual([0, 1, 2]);
    // The first page was reported when the engine moved on, while it was still reading the second.
    expect(ended - (reported[0]?.at ?? ended)).toBeGreaterThan(200);
  });

  it("fails the run on an image it cannot read, whatever the list holds after it", async () => {
    const good = await fixtures.textImage("good.png", ["A readable page."]);
    const text = fixtures.path("not-an-image.png");
    await exec("sh", ["-c", `printf '%s\\n' '${good}' > '${text}'`]);
    await expect(
      tesseract.recognize(
        execFile,
        [
          { path: good, page: 1 },
          { path: text, page: 2 },
        ],
        { language: "eng", outputBase: fixtures.path("bad-run") },
      ),
    ).rejects.toMatchObject({ failure: "exit" });
  });
});
