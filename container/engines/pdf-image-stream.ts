import { crc32, createInflate } from "node:zlib";

/** A PDF image XObject's dictionary as qpdf's JSON shows it (names as "/Name" strings). */
export type PdfImageDictionary = Record<string, unknown>;

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types by the PDF colour space they carry. */
const PNG_COLOUR: Record<string, { type: number; channels: number }> = {
  "/DeviceGray": { type: 0, channels: 1 },
  "/DeviceRGB": { type: 2, channels: 3 },
};
/** PNG's row filters are 0–4 (none, sub, up, average, Paeth). */
const MAX_PNG_FILTER = 4;

/** The image's shape, when its stored data is a PNG's image data: 8-bit grey or RGB rows, each led by its PNG filter. */
export interface PngShape {
  width: number;
  height: number;
  colourType: number;
  channels: number;
}

/**
 * Whether an image stored in a PDF is, as stored, a PNG's image data: Flate-compressed 8-bit grey or RGB
 * with PNG predictors (which are PNG's row filters), of the size `expected`, with nothing that changes
 * how its samples are read (decode arrays, masks, other colour spaces or filters). Such data only needs
 * PNG's chunks around it to be a file the engine reads, instead of being decoded.
 */
export function pngShapeOf(dict: PdfImageDictionary, expected: { width: number; height: number }): PngShape | null {
  const colourSpace = dict["/ColorSpace"];
  const colour = typeof colourSpace === "string" ? PNG_COLOUR[colourSpace] : undefined;
  const filter = dict["/Filter"];
  const params = Array.isArray(dict["/DecodeParms"]) ? dict["/DecodeParms"] : [dict["/DecodeParms"]];
  const [param] = params as unknown[];
  const flate =
    filter === "/FlateDecode" || (Array.isArray(filter) && filter.length === 1 && filter[0] === "/FlateDecode");
  if (
    !colour ||
    !flate ||
    params.length !== 1 ||
    dict["/Width"] !== expected.width ||
    dict["/Height"] !== expected.height ||
    dict["/BitsPerComponent"] !== 8 ||
    !isDefaultDecode(dict["/Decode"], colour.channels) ||
    (dict["/ImageMask"] !== undefined && dict["/ImageMask"] !== false) ||
    dict["/Mask"] !== undefined ||
    dict["/SMask"] !== undefined ||
    typeof param !== "object" ||
    param === null ||
    Array.isArray(param)
  ) {
    return null;
  }
  const {
    "/Predictor": predictor,
    "/Colors": colours = 1,
    "/BitsPerComponent": bits = 8,
    "/Columns": columns = 1,
  } = param as Record<string, unknown>;
  const pngPredicted =
    typeof predictor === "number" &&
    predictor >= 10 &&
    colours === colour.channels &&
    bits === 8 &&
    columns === expected.width;
  return pngPredicted
    ? { width: expected.width, height: expected.height, colourType: colour.type, channels: colour.channels }
    : null;
}

/**
 * Whether `data` inflates to exactly the rows of `shape`, each led by a valid PNG filter. Damaged data
 * (a wrong checksum, a cut stream, a bad filter byte) is refused by the engine's PNG reader, while
 * poppler decodes what it can of it: such images are left to poppler. Inflates as a stream, holding
 * one chunk at a time.
 */
export function pngDataIntact(data: Buffer, shape: PngShape): Promise<boolean> {
  const rowBytes = shape.width * shape.channels + 1;
  const expectedBytes = rowBytes * shape.height;
  return new Promise((resolve) => {
    let seen = 0;
    let intact = true;
    const inflate = createInflate();
    inflate.on("data", (chunk: Buffer) => {
      // Every row starts with its filter byte: check the ones inside this chunk.
      for (let at = (rowBytes - (seen % rowBytes)) % rowBytes; at < chunk.length; at += rowBytes) {
        if ((chunk[at] ?? 0) > MAX_PNG_FILTER) intact = false;
      }
      seen += chunk.length;
      if (!intact || seen > expectedBytes) inflate.destroy();
    });
    inflate.on("error", () => resolve(false));
    inflate.on("close", () => resolve(intact && seen === expectedBytes));
    inflate.end(data);
  });
}

/** A PNG file of `data`, a PNG's image data (see `pngShapeOf`), without decoding it. */
export function pngFileOf(data: Buffer, { width, height, colourType }: PngShape): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colourType, 0, 0, 0], 8); // bit depth, colour type, deflate, adaptive filtering, no interlace
  return Buffer.concat([PNG_SIGNATURE, chunk("IHDR", header), chunk("IDAT", data), chunk("IEND", Buffer.alloc(0))]);
}

/** No decode array, or the one that changes nothing ([0 1] per channel). */
function isDefaultDecode(decode: unknown, channels: number): boolean {
  if (decode === undefined) return true;
  return Array.isArray(decode) && decode.length === 2 * channels && decode.every((value, index) => value === index % 2);
}

function chunk(type: string, body: Buffer): Buffer {
  const typeAndBody = Buffer.concat([Buffer.from(type, "ascii"), body]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndBody));
  return Buffer.concat([length, typeAndBody, crc]);
}
