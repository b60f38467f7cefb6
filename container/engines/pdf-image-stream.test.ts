import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { crc32, deflateSync, inflateSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { imageFileOf } from "./pdf-image-stream";

/** A 3×2 grey image's rows as PNG-predicted Flate data: each row starts with its filter type (0, none). */
const ROWS = Buffer.from([0, 10, 20, 30, 0, 40, 50, 60]);
const FLATE = deflateSync(ROWS);
const PNG_DICT = {
  "/Type": "/XObject",
  "/Subtype": "/Image",
  "/Width": 3,
  "/Height": 2,
  "/ColorSpace": "/DeviceGray",
  "/BitsPerComponent": 8,
  "/Filter": "/FlateDecode",
  "/DecodeParms": { "/Predictor": 15, "/Colors": 1, "/BitsPerComponent": 8, "/Columns": 3 },
};

/** A grey JPEG of `width`×`height`, by ImageMagick. */
async function jpegOf(width: number, height: number): Promise<Buffer> {
  const { stdout } = await promisify(execFile)("convert", ["-size", `${width}x${height}`, "xc:gray", "jpg:-"], {
    encoding: "buffer",
  });
  return stdout;
}

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

describe("imageFileOf", () => {
  it("wraps PNG-predicted Flate data in PNG's chunks, as stored", () => {
    const file = imageFileOf({ dict: PNG_DICT, data: FLATE });
    expect(file?.extension).toBe("png");
    const png = file?.bytes ?? Buffer.alloc(0);
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

  it("makes an RGB PNG of RGB data, and a filter or parameters given as one-element arrays count", () => {
    const rgb = {
      ...PNG_DICT,
      "/ColorSpace": "/DeviceRGB",
      "/Filter": ["/FlateDecode"],
      "/DecodeParms": [{ "/Predictor": 12, "/Colors": 3, "/Columns": 3 }],
    };
    expect(chunksOf(imageFileOf({ dict: rgb, data: FLATE })?.bytes ?? Buffer.alloc(0))[0]?.body[9]).toBe(2);
  });

  it("gives a JPEG as it is, when its own header has the dictionary's size", async () => {
    const jpeg = await jpegOf(3, 2);
    const dict = { ...PNG_DICT, "/Filter": "/DCTDecode", "/DecodeParms": undefined };
    expect(imageFileOf({ dict, data: jpeg })).toEqual({ extension: "jpg", bytes: jpeg });
    // A JPEG larger than the dictionary says (whose pixel count was checked) is left to poppler.
    expect(imageFileOf({ dict, data: await jpegOf(3000, 2000) })).toBeNull();
    expect(imageFileOf({ dict, data: Buffer.from("not a jpeg") })).toBeNull();
  });

  it.each([
    ["no predictor (rows without filter bytes)", { "/DecodeParms": undefined }],
    ["a predictor below 10 (TIFF)", { "/DecodeParms": { ...PNG_DICT["/DecodeParms"], "/Predictor": 2 } }],
    ["rows narrower than the image", { "/DecodeParms": { ...PNG_DICT["/DecodeParms"], "/Columns": 2 } }],
    ["colours not matching the colour space", { "/DecodeParms": { ...PNG_DICT["/DecodeParms"], "/Colors": 3 } }],
    ["a decode array (inverted samples)", { "/Decode": [1, 0] }],
    ["CMYK", { "/ColorSpace": "/DeviceCMYK" }],
    ["an ICC or indexed colour space", { "/ColorSpace": "12 0 R" }],
    ["1-bit samples", { "/BitsPerComponent": 1 }],
    ["two filters", { "/Filter": ["/ASCII85Decode", "/FlateDecode"] }],
    ["another filter", { "/Filter": "/CCITTFaxDecode" }],
    [
      "a JPEG with decode parameters (colour transform)",
      { "/Filter": "/DCTDecode", "/DecodeParms": { "/ColorTransform": 0 } },
    ],
    ["a mask", { "/ImageMask": true }],
  ])("leaves an image with %s to poppler", (_, change) => {
    expect(imageFileOf({ dict: { ...PNG_DICT, ...change }, data: FLATE })).toBeNull();
  });
});
