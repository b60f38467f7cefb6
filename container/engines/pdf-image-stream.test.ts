import { execFile as execFileCallback } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { crc32, deflateSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { execFile } from "../exec";
import { ffmpeg } from "./ffmpeg";
import { pngDataThumbnail, pngFileOf, pngShapeOf } from "./pdf-image-stream";

const exec = promisify(execFileCallback);

/** A 3×2 grey image's rows as PNG-predicted Flate data: each row starts with its filter type (0, none). */
const ROWS = Buffer.from([0, 10, 20, 30, 0, 40, 50, 60]);
const FLATE = deflateSync(ROWS);
const SIZE = { width: 3, height: 2 };
const DICT = {
  "/Type": "/XObject",
  "/Subtype": "/Image",
  "/Width": 3,
  "/Height": 2,
  "/ColorSpace": "/DeviceGray",
  "/BitsPerComponent": 8,
  "/Filter": "/FlateDecode",
  "/DecodeParms": { "/Predictor": 15, "/Colors": 1, "/BitsPerComponent": 8, "/Columns": 3 },
};
const GREY = { width: 3, height: 2, colourType: 0, channels: 1 };

/** A PNG's chunks: type, body, and whether the CRC is right. */
function chunksOf(png: Buffer) {
  const chunks: { type: string; body: Buffer; crcOk: boolean }[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const typeAndBody = png.subarray(at + 4, at + 8 + length);
    chunks.push({
      type: typeAndBody.subarray(0, 4).toString("ascii"),
      body: typeAndBody.subarray(4),
      crcOk: png.readUInt32BE(at + 8 + length) === crc32(typeAndBody),
    });
    at += 12 + length;
  }
  return chunks;
}

describe("pngShapeOf", () => {
  it("takes 8-bit grey or RGB Flate data with PNG predictors, one filter and its parameters alone or in arrays", () => {
    expect(pngShapeOf(DICT, SIZE)).toEqual(GREY);
    const rgb = {
      ...DICT,
      "/ColorSpace": "/DeviceRGB",
      "/Filter": ["/FlateDecode"],
      "/DecodeParms": [{ "/Predictor": 12, "/Colors": 3, "/Columns": 3 }],
    };
    expect(pngShapeOf(rgb, SIZE)).toEqual({ ...GREY, colourType: 2, channels: 3 });
    // Written out with their defaults, a decode array and the mask flag change nothing.
    expect(pngShapeOf({ ...DICT, "/Decode": [0, 1], "/ImageMask": false }, SIZE)).toEqual(GREY);
  });

  it.each([
    ["a size other than poppler listed (the pixel limit was checked against that)", {}, { width: 3, height: 3 }],
    ["no predictor (rows without filter bytes)", { "/DecodeParms": undefined }, SIZE],
    ["a predictor below 10 (TIFF's)", { "/DecodeParms": { ...DICT["/DecodeParms"], "/Predictor": 2 } }, SIZE],
    ["rows narrower than the image", { "/DecodeParms": { ...DICT["/DecodeParms"], "/Columns": 2 } }, SIZE],
    ["colours not matching the colour space", { "/DecodeParms": { ...DICT["/DecodeParms"], "/Colors": 3 } }, SIZE],
    ["parameters given by reference", { "/DecodeParms": "12 0 R" }, SIZE],
    ["a decode array (inverted samples)", { "/Decode": [1, 0] }, SIZE],
    ["an image mask", { "/ImageMask": true }, SIZE],
    ["a soft mask", { "/SMask": "9 0 R" }, SIZE],
    ["a colour-key mask", { "/Mask": [0, 10] }, SIZE],
    ["CMYK", { "/ColorSpace": "/DeviceCMYK" }, SIZE],
    ["an ICC, indexed or calibrated colour space", { "/ColorSpace": "12 0 R" }, SIZE],
    ["1-bit samples", { "/BitsPerComponent": 1 }, SIZE],
    ["two filters", { "/Filter": ["/ASCII85Decode", "/FlateDecode"] }, SIZE],
    ["a JPEG", { "/Filter": "/DCTDecode", "/DecodeParms": undefined }, SIZE],
  ])("leaves an image with %s to poppler", (_, change, size) => {
    expect(pngShapeOf({ ...DICT, ...change }, size)).toBeNull();
  });
});

describe("pngDataThumbnail", () => {
  const intact = async (data: Buffer, shape: typeof GREY) => (await pngDataThumbnail(data, shape, 2)) !== null;

  it("accepts data that inflates to exactly the image's rows with valid filters", async () => {
    expect(await intact(FLATE, GREY)).toBe(true);
    // Large enough to arrive in several chunks, with rows across chunk ends.
    const width = 2481;
    const rows = Buffer.alloc((width + 1) * 400, 7);
    for (let row = 0; row < 400; row++) rows[row * (width + 1)] = row % 5;
    expect(await intact(deflateSync(rows), { width, height: 400, colourType: 0, channels: 1 })).toBe(true);
    rows[123 * (width + 1)] = 5;
    expect(await intact(deflateSync(rows), { width, height: 400, colourType: 0, channels: 1 })).toBe(false);
  });

  it.each([
    ["a wrong checksum", Buffer.concat([FLATE.subarray(0, -1), Buffer.from([(FLATE.at(-1) ?? 0) ^ 0xff])])],
    ["a cut stream", FLATE.subarray(0, FLATE.length - 6)],
    ["too few rows", deflateSync(ROWS.subarray(0, 4))],
    ["too many rows", deflateSync(Buffer.concat([ROWS, ROWS]))],
    ["a bad filter byte", deflateSync(Buffer.from([0, 10, 20, 30, 9, 40, 50, 60]))],
    ["not Flate at all", Buffer.from("not deflate data")],
    ["no data", Buffer.alloc(0)],
  ])("refuses %s (left to poppler, which decodes what it can)", async (_, data) => {
    expect(await intact(data, GREY)).toBe(false);
  });

  it("takes bytes after the end of the compressed data as intact (the engine's PNG reader only warns about them)", async () => {
    expect(await intact(Buffer.concat([FLATE, Buffer.from("\r\n")]), GREY)).toBe(true);
  });

  it("reduces the rows to a grey thumbnail, each pixel the mean of those it covers", async () => {
    // Two rows of 4 pixels halved: [10 20 | 30 40] over [50 60 | 70 80] → [35, 55].
    const rows = Buffer.from([0, 10, 20, 30, 40, 0, 50, 60, 70, 80]);
    const thumbnail = await pngDataThumbnail(deflateSync(rows), { width: 4, height: 2, colourType: 0, channels: 1 }, 2);
    expect(thumbnail).toEqual({ pixels: Uint8Array.from([35, 55]), width: 2, height: 1 });
  });

  it.each([
    ["grey", "gray", { colourType: 0, channels: 1 }],
    ["RGB", "rgb24", { colourType: 2, channels: 3 }],
  ])("undoes every PNG row filter of a %s picture: its thumbnail is ffmpeg's", async (_, pixelFormat, colour) => {
    const dir = await mkdtemp(join(tmpdir(), "verbatim-png-thumbnail-"));
    try {
      const png = join(dir, "picture.png");
      // "mixed" picks the best of the five filters for each row, so every filter is met.
      await exec("ffmpeg", [
        ...["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=1200x400:rate=1", "-frames:v", "1"],
        ...["-pix_fmt", pixelFormat, "-pred", "mixed", png],
      ]);
      const idat = Buffer.concat(
        chunksOf(await readFile(png))
          .filter(({ type }) => type === "IDAT")
          .map(({ body }) => body),
      );
      const ours = await pngDataThumbnail(idat, { width: 1200, height: 400, ...colour }, 600);
      const theirs = await ffmpeg.grayThumbnail(execFile, png, 600);
      expect(ours && [ours.width, ours.height]).toEqual([theirs.width, theirs.height]);
      let difference = 0;
      for (let i = 0; i < theirs.pixels.length; i++) {
        difference += Math.abs((ours?.pixels[i] ?? 0) - (theirs.pixels[i] as number));
      }
      expect(difference / theirs.pixels.length).toBeLessThan(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("pngFileOf", () => {
  it("wraps the data in PNG's chunks, as stored", () => {
    const png = pngFileOf(FLATE, GREY);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const chunks = chunksOf(png);
    expect(chunks.map(({ type, crcOk }) => [type, crcOk])).toEqual([
      ["IHDR", true],
      ["IDAT", true],
      ["IEND", true],
    ]);
    // 3×2 pixels, 8 bits, grey (colour type 0), deflate, adaptive filtering, not interlaced.
    expect([...(chunks[0]?.body ?? [])]).toEqual([0, 0, 0, 3, 0, 0, 0, 2, 8, 0, 0, 0, 0]);
    expect(inflateSync(chunks[1]?.body ?? Buffer.alloc(0))).toEqual(ROWS);
  });
});
