import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AvResult, Languages, OcrResult, Problem } from "../../contracts";
import { characterErrorRate, wordErrorRate } from "../support/text-metrics";
import { type E2eStack, startE2eStack } from "./stack";

const PAGE_1 = ["Invoice number 4711 from Verbatim", "Total amount due is 1234 euros"];
const PAGE_2 = ["Second page of the scanned letter", "Please pay within thirty days"];
const IMAGE_TEXT = ["The quick brown fox jumps over", "the lazy dog near the river bank"];
const GERMAN = ["Die Größe der Übergabe ist wichtig", "Wir müssen zur Straße am Fluss gehen"];
const BORN_DIGITAL = ["This document was typed on a computer", "so its text comes without recognition"];
/** A two-column page: each column's paragraphs, lines of at most about 34 characters. */
const COLUMN_TITLE = "Annual Report of the Bookshop";
const LEFT_COLUMN = [
  ["The left column opens the report", "with news of the first quarter", "when sales grew by a third."],
  ["Its second paragraph tells how", "the reading club found new", "members every single month."],
];
const RIGHT_COLUMN = [
  ["The right column closes it with", "plans for the coming year and", "a second shop near the station."],
];
const SPOKEN =
  "the quick brown fox jumped over the lazy dog. we went to the market this morning and bought some fresh bread and milk";

let stack: E2eStack;
beforeAll(async () => {
  stack = await startE2eStack();
});
afterAll(() => stack?.stop());

const pdftotext = (pdf: Uint8Array) => {
  const file = join(stack.work, `out-${crypto.randomUUID()}.pdf`);
  writeFileSync(file, pdf);
  // -raw: content-stream order, which is the order Tesseract wrote the words in.
  return execFileSync("pdftotext", ["-raw", file, "-"], { encoding: "utf8" });
};

describe("a file in, text out", () => {
  it("OCRs a scanned two-page PDF: text, JSON with boxes, searchable PDF; live events in order", async () => {
    const pages = [
      await stack.fixtures.textImage("scan-1.png", PAGE_1),
      await stack.fixtures.textImage("scan-2.png", PAGE_2),
    ];
    const pdf = await stack.fixtures.scannedPdf("scan.pdf", pages);
    const { job, events } = await stack.runToEnd(pdf, "scan.pdf");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("ocr");
    expect(job.file.pages).toBe(2);
    const seen = [
      ...(events[0]?.history?.map((h) => h.to) ?? []),
      ...events
        .slice(1)
        .filter((e) => e.type === "status")
        .map((e) => e.job.status),
    ];
    expect(seen).toEqual(["queued", "processing", "succeeded"]);
    expect(events.some((e) => e.type === "progress" && e.job.progress?.done === 2)).toBe(true);

    const text = await (await stack.result(job.id, "txt")).text();
    expect(characterErrorRate([...PAGE_1, ...PAGE_2].join("\n"), text)).toBeLessThan(0.05);
    const json = OcrResult.parse(await (await stack.result(job.id, "json")).json());
    expect(json.pages.map((p) => [p.page, p.source])).toEqual([
      [1, "ocr"],
      [2, "ocr"],
    ]);
    const words = json.pages[0]?.blocks.flatMap((b) => b.lines.flatMap((l) => l.words)) ?? [];
    expect(words.find((w) => w.text === "4711")?.confidence).toBeGreaterThan(0.5);
    const searchable = new Uint8Array(await (await stack.result(job.id, "pdf")).arrayBuffer());
    expect(characterErrorRate([...PAGE_1, ...PAGE_2].join("\n"), pdftotext(searchable))).toBeLessThan(0.05);
  });

  it("takes a born-digital PDF's text layer without OCR", async () => {
    const { job } = await stack.runToEnd(await stack.fixtures.textPdf("typed.pdf", [BORN_DIGITAL]), "typed.pdf");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const json = OcrResult.parse(await (await stack.result(job.id, "json")).json());
    expect(json.pages[0]?.source).toBe("text-layer");
    expect(characterErrorRate(BORN_DIGITAL.join("\n"), await (await stack.result(job.id, "txt")).text())).toBe(0);
    // Its Markdown comes from its own layer: the two lines are one paragraph.
    const md = await (await stack.result(job.id, "md")).text();
    expect(md).toBe(`<!-- page 1 -->\n\n${BORN_DIGITAL.join(" ")}\n`);
  });

  it("OCRs a JPEG image", async () => {
    const jpg = await stack.fixtures.convertImage(await stack.fixtures.textImage("photo.png", IMAGE_TEXT), "photo.jpg");
    const { job } = await stack.runToEnd(jpg, "photo.jpg");
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(characterErrorRate(IMAGE_TEXT.join("\n"), await (await stack.result(job.id, "txt")).text())).toBeLessThan(
      0.05,
    );
  });

  it("reads a German page in German, umlauts and ß included, and refuses a language it does not have", async () => {
    const png = await stack.fixtures.textImage("brief.png", GERMAN);
    const { job } = await stack.runToEnd(png, "brief.png", undefined, { language: "deu" });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    const text = await (await stack.result(job.id, "txt")).text();
    expect(characterErrorRate(GERMAN.join("\n"), text), text).toBeLessThan(0.02);
    for (const word of ["Größe", "Übergabe", "müssen", "Straße"]) expect(text).toContain(word);
    expect(OcrResult.parse(await (await stack.result(job.id, "json")).json()).language).toBe("deu");

    // Told to find the language, it finds German and reads the page as well.
    const auto = await stack.runToEnd(png, "brief.png", undefined, { language: "auto" });
    expect(auto.job.status, JSON.stringify(auto.job.error)).toBe("succeeded");
    const found = OcrResult.parse(await (await stack.result(auto.job.id, "json")).json());
    expect([found.language, found.detected_language]).toEqual(["deu", "deu"]);
    expect(characterErrorRate(GERMAN.join("\n"), found.pages[0]?.text ?? "")).toBeLessThan(0.02);

    const languages = Languages.parse(await (await stack.call("/v1/languages", { headers: stack.auth })).json());
    expect(languages.ocr).toEqual(expect.arrayContaining(["deu", "eng", "fra", "spa", "ita", "por", "nld"]));
    const refused = await stack.submit(png, "brief.png", { language: "jpn" });
    expect(refused.status).toBe(422);
    expect(Problem.parse(await refused.json()).code).toBe("language_unavailable");
  });

  it.each([
    ["an MP3", "speech.mp3"],
    ["an MP4 with a video track", "speech.mp4"],
  ])("transcribes %s: text, timed JSON, SRT and VTT", async (_, name) => {
    const wav = await stack.fixtures.speech(`${name}.wav`, SPOKEN);
    const media = name.endsWith(".mp4")
      ? await stack.fixtures.videoWithAudio(wav, name)
      : await stack.fixtures.encodeAudio(wav, name);
    const { job } = await stack.runToEnd(media, name);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("av");
    expect(job.file.duration_s).toBeGreaterThan(3);
    const text = await (await stack.result(job.id, "txt")).text();
    expect(wordErrorRate(SPOKEN, text)).toBeLessThan(0.35);
    const json = AvResult.parse(await (await stack.result(job.id, "json")).json());
    expect(json.segments.length).toBeGreaterThan(0);
    for (const s of json.segments) expect(s.end).toBeGreaterThanOrEqual(s.start);
    expect(await (await stack.result(job.id, "srt")).text()).toMatch(/^1\n\d{2}:\d{2}:\d{2},\d{3} --> /);
    expect(await (await stack.result(job.id, "vtt")).text()).toMatch(/^WEBVTT\n\n\d{2}:\d{2}:\d{2}\.\d{3} --> /);
  });

  it("reads only the pages asked for, and writes a two-column page as Markdown column by column", async () => {
    const pdf = await stack.fixtures.scannedPdf("report.pdf", [
      await stack.fixtures.textImage("report-1.png", PAGE_1),
      await stack.fixtures.twoColumnPage("report-2.png", COLUMN_TITLE, LEFT_COLUMN, RIGHT_COLUMN),
      await stack.fixtures.textImage("report-3.png", PAGE_2),
    ]);
    const { job } = await stack.runToEnd(pdf, "report.pdf", undefined, { pages: "2-3" });
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.file.pages).toBe(2);
    const json = OcrResult.parse(await (await stack.result(job.id, "json")).json());
    expect(json.pages.map((page) => page.page)).toEqual([2, 3]);
    const text = await (await stack.result(job.id, "txt")).text();
    expect(text).not.toContain("Invoice");

    const markdown = await stack.result(job.id, "md");
    expect(markdown.headers.get("content-type")).toBe("text/markdown; charset=utf-8");
    const md = await markdown.text();
    const [pageTwo = "", pageThree = ""] = md.split("<!-- page 3 -->");
    expect(pageTwo.trim().split("\n")[0]).toBe("<!-- page 2 -->");
    // The title is a heading; each column's paragraphs are whole, the left column's before the right's.
    const paragraphs = pageTwo
      .split("\n\n")
      .map((p) => p.trim())
      .filter((p) => p && !p.startsWith("<!--"));
    const expected = [`# ${COLUMN_TITLE}`, ...[...LEFT_COLUMN, ...RIGHT_COLUMN].map((lines) => lines.join(" "))];
    expect(paragraphs).toHaveLength(expected.length);
    paragraphs.forEach((paragraph, index) => {
      expect(characterErrorRate(expected[index] ?? "", paragraph), paragraph).toBeLessThan(0.05);
    });
    expect(characterErrorRate(PAGE_2.join(" "), pageThree.trim())).toBeLessThan(0.05);
    const searchable = new Uint8Array(await (await stack.result(job.id, "pdf")).arrayBuffer());
    const pdfText = pdftotext(searchable);
    expect(pdfText).toContain("right column");
    expect(pdfText).not.toContain("Invoice");
    expect(pdfText.split("\f").filter((page) => page.trim()).length).toBe(2);

    const beyond = await stack.runToEnd(pdf, "report.pdf", undefined, { pages: "3-5" });
    expect(beyond.job.status).toBe("failed");
    expect(beyond.job.error).toEqual({
      code: "pages_out_of_range",
      message: "Pages 3–5 were asked for; the document has 3 pages",
    });
  });

  it("fails a corrupt PDF with media_corrupt and refuses an unsupported file at upload", async () => {
    const corrupt = join(stack.work, "broken.pdf");
    writeFileSync(
      corrupt,
      Buffer.concat([Buffer.from("%PDF-1.7\n"), readFileSync(await stack.fixtures.garbage("g.bin", 4000))]),
    );
    const { job } = await stack.runToEnd(corrupt, "broken.pdf");
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("media_corrupt");
    const notes = join(stack.work, "notes.pdf");
    writeFileSync(notes, "plain text is not a document");
    const refused = await stack.submit(notes, "notes.pdf");
    expect(refused.status).toBe(415);
    expect(Problem.parse(await refused.json()).code).toBe("unsupported_media_type");
  });
});

describe("every supported input format", () => {
  const SHORT = "we went to the market this morning and bought some fresh bread and milk";
  const LINES = ["Every format is welcome here", "including tagged image files"];
  const TIFF_PAGE_2 = ["The second page follows", "right after the first"];

  const images: Array<[string, () => Promise<string>]> = [
    ["PNG", () => stack.fixtures.textImage("fmt.png", LINES)],
    [
      "WebP",
      async () => stack.fixtures.convertImage(await stack.fixtures.textImage("fmt-webp.png", LINES), "fmt.webp"),
    ],
    [
      "multi-page TIFF",
      async () =>
        stack.fixtures.multiPageTiff("fmt.tif", [
          await stack.fixtures.textImage("fmt-tiff-1.png", LINES),
          await stack.fixtures.textImage("fmt-tiff-2.png", TIFF_PAGE_2),
        ]),
    ],
  ];

  it.each(images)("OCRs a %s", async (label, make) => {
    const { job } = await stack.runToEnd(await make(), `upload-${label}`);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("ocr");
    const text = await (await stack.result(job.id, "txt")).text();
    const tiff = label === "multi-page TIFF";
    expect(job.file.pages).toBe(tiff ? 2 : 1);
    const expected = tiff ? [...LINES, ...TIFF_PAGE_2] : LINES;
    expect(characterErrorRate(expected.join("\n"), text), text).toBeLessThan(0.05);
  });

  it.each(["wav", "m4a", "aac", "opus", "flac", "mov", "mkv", "webm"])("transcribes .%s", async (ext) => {
    const wav = await stack.fixtures.speech(`fmt-${ext}.wav`, SHORT);
    const name = `fmt.${ext}`;
    const file =
      ext === "wav"
        ? wav
        : ["mov", "mkv", "webm"].includes(ext)
          ? await stack.fixtures.videoWithAudio(wav, name)
          : await stack.fixtures.encodeAudio(wav, name);
    const { job } = await stack.runToEnd(file, `upload.${ext}`);
    expect(job.status, JSON.stringify(job.error)).toBe("succeeded");
    expect(job.kind).toBe("av");
    expect(wordErrorRate(SHORT, await (await stack.result(job.id, "txt")).text())).toBeLessThan(0.4);
  });
});
