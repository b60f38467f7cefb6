import { crc32 } from "node:zlib";
import { imageSize } from "image-size";

/** A PDF image XObject as qpdf's JSON shows it: its dictionary (names as "/Name" strings) and its raw data. */
export interface PdfImageStream {
  dict: Record<string, unknown>;
  data: Buffer;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** PNG colour types by the PDF colour space they carry. */
const PNG_COLOUR_TYPE: Record<string, { type: number; colours: number }> = {
  "/DeviceGray": { type: 0, colours: 1 },
  "/DeviceRGB": { type: 2, colours: 3 },
};

/**
 * The image as a file an OCR engine reads, made from the stream's data as stored, without decoding it:
 * a JPEG stream is a JPEG file; a Flate stream with PNG predictors is a PNG's image data, which only
 * needs PNG's chunks around it. Null for anything else (other filters or colour spaces, decode arrays,
 * masks, bit depths), which is then decoded by poppler instead.
 */
export function imageFileOf({ dict, data }: PdfImageStream): { extension: "png" | "jpg"; bytes: Buffer } | null {
  const colourSpace = dict["/ColorSpace"];
  const colour = typeof colourSpace === "string" ? PNG_COLOUR_TYPE[colourSpace] : undefined;
  const width = dict["/Width"];
  const height = dict["/Height"];
  if (
    !colour ||
    dict["/BitsPerComponent"] !== 8 ||
    dict["/Decode"] !== undefined ||
    dict["/ImageMask"] === true ||
    !isPositiveInteger(width) ||
    !isPositiveInteger(height)
  ) {
    return null;
  }
  const filter = singleFilter(dict["/Filter"]);
  const params = singleParams(dict["/DecodeParms"]);
  if (filter === "/DCTDecode" && params === undefined) {
    // The engine decodes the JPEG by its own header: it must be the image the dictionary (and the
    // pixel limit checked against it) describes, not a larger one.
    const stored = jpegSize(data);
    return stored?.width === width && stored.height === height ? { extension: "jpg", bytes: data } : null;
  }
  if (filter !== "/FlateDecode" || !params) return null;
  const predictor = params["/Predictor"];
  const pngPredicted =
    typeof predictor === "number" &&
    predictor >= 10 &&
    (params["/Colors"] ?? 1) === colour.colours &&
    (params["/BitsPerComponent"] ?? 8) === 8 &&
    (params["/Columns"] ?? 1) === width;
  if (!pngPredicted) return null;
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, colour.type, 0, 0, 0], 8); // bit depth, colour type, deflate, adaptive filtering, no interlace
  return {
    extension: "png",
    bytes: Buffer.concat([PNG_SIGNATURE, chunk("IHDR", header), chunk("IDAT", data), chunk("IEND", Buffer.alloc(0))]),
  };
}

/** A filter given alone or as a one-element array; undefined when there is none or several. */
function singleFilter(filter: unknown): string | undefined {
  const only = Array.isArray(filter) ? (filter.length === 1 ? filter[0] : undefined) : filter;
  return typeof only === "string" ? only : undefined;
}

/** Decode parameters: undefined when there are none, the dictionary when there is one, else null. */
function singleParams(params: unknown): Record<string, unknown> | null | undefined {
  if (params === undefined) return undefined;
  const only = Array.isArray(params) ? (params.length === 1 ? params[0] : null) : params;
  return only !== null && typeof only === "object" && !Array.isArray(only) ? (only as Record<string, unknown>) : null;
}

function chunk(type: string, body: Buffer): Buffer {
  const typeAndBody = Buffer.concat([Buffer.from(type, "ascii"), body]);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(body.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndBody));
  return Buffer.concat([length, typeAndBody, crc]);
}

function jpegSize(data: Buffer): { width?: number; height?: number } | null {
  try {
    const size = imageSize(data);
    return size.type === "jpg" ? size : null;
  } catch {
    return null;
  }
}

const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;
