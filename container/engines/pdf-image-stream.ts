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

/** A grayscale picture, one byte per pixel, rows top to bottom. */
export interface GrayPicture {
  pixels: Uint8Array;
  width: number;
  height: number;
}

/**
 * Reads a PNG's image data (see `pngShapeOf`) as a stream, one chunk at a time: whether it inflates
 * to exactly the rows of `shape`, each led by a valid PNG filter, and, when it does, the image made
 * grey and reduced to `thumbnailWidth` pixels across (each thumbnail pixel the mean of the pixels
 * it covers). Null for damaged data (a wrong checksum, a cut stream, a bad filter byte), which the
 * engine's PNG reader refuses while poppler decodes what it can of it: such images are left to poppler.
 */
export function pngDataThumbnail(data: Buffer, shape: PngShape, thumbnailWidth: number): Promise<GrayPicture | null> {
  const rows = new PngRows(shape, thumbnailWidth);
  return new Promise((resolve) => {
    let intact = true;
    const inflate = createInflate({ chunkSize: 256 * 1024 });
    inflate.on("data", (chunk: Buffer) => {
      intact &&= rows.push(chunk);
      if (!intact) inflate.destroy();
    });
    inflate.on("error", () => resolve(null));
    inflate.on("close", () => resolve(intact && rows.complete() ? rows.thumbnail() : null));
    inflate.end(data);
  });
}

/** PNG rows undone of their filters as they arrive, and summed into a grey thumbnail. */
class PngRows {
  private readonly bytesPerRow: number;
  private row: Uint8Array;
  private previous: Uint8Array;
  private filled = 0;
  private rowsSeen = 0;
  /** The thumbnail column of each image column, and how many image columns each thumbnail column takes. */
  private readonly across: Uint16Array;
  private readonly columnCounts: Uint32Array;
  /** The thumbnail row being summed: its index, its sums, and how many image rows went into it. */
  private thumbnailRow = 0;
  private readonly rowSums: Uint32Array;
  private rowsInSums = 0;
  private readonly pixels: Uint8Array;
  private readonly thumbnailHeight: number;

  constructor(
    private readonly shape: PngShape,
    private readonly thumbnailWidth: number,
  ) {
    this.bytesPerRow = shape.width * shape.channels + 1;
    this.row = new Uint8Array(this.bytesPerRow);
    this.previous = new Uint8Array(this.bytesPerRow);
    this.thumbnailHeight = Math.max(1, Math.round((shape.height * thumbnailWidth) / shape.width));
    this.across = Uint16Array.from({ length: shape.width }, (_, x) => Math.floor((x * thumbnailWidth) / shape.width));
    this.columnCounts = new Uint32Array(thumbnailWidth);
    for (const column of this.across) this.columnCounts[column] = (this.columnCounts[column] as number) + 1;
    this.rowSums = new Uint32Array(thumbnailWidth);
    this.pixels = new Uint8Array(thumbnailWidth * this.thumbnailHeight).fill(255);
  }

  /** Takes the next inflated bytes; false when they are not the image's rows. */
  push(chunk: Buffer): boolean {
    for (let at = 0; at < chunk.length; ) {
      if (this.rowsSeen === this.shape.height) return false; // more rows than the image has
      const take = Math.min(chunk.length - at, this.bytesPerRow - this.filled);
      this.row.set(chunk.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === this.bytesPerRow) {
        if (!this.endRow()) return false;
        this.filled = 0;
      }
    }
    return true;
  }

  complete(): boolean {
    return this.rowsSeen === this.shape.height && this.filled === 0;
  }

  thumbnail(): GrayPicture {
    this.flushRow();
    return { pixels: this.pixels, width: this.thumbnailWidth, height: this.thumbnailHeight };
  }

  private endRow(): boolean {
    const { row, previous, across, rowSums } = this;
    const filter = row[0] as number;
    if (filter > MAX_PNG_FILTER) return false;
    const { channels, width, height } = this.shape;
    unfilter(filter, row, previous, channels);
    const y = Math.min(this.thumbnailHeight - 1, Math.floor((this.rowsSeen * this.thumbnailHeight) / height));
    if (y !== this.thumbnailRow) {
      this.flushRow();
      this.thumbnailRow = y;
    }
    if (channels === 1) {
      for (let x = 0; x < width; x++) {
        const column = across[x] as number;
        rowSums[column] = (rowSums[column] as number) + (row[1 + x] as number);
      }
    } else {
      for (let x = 0, at = 1; x < width; x++, at += channels) {
        // ITU-R BT.601 luma in integers: (77 R + 150 G + 29 B) / 256.
        const grey = (77 * (row[at] as number) + 150 * (row[at + 1] as number) + 29 * (row[at + 2] as number)) >> 8;
        const column = across[x] as number;
        rowSums[column] = (rowSums[column] as number) + grey;
      }
    }
    this.rowsInSums++;
    // The row just read is the next one's "previous".
    [this.previous, this.row] = [row, previous];
    this.rowsSeen++;
    return true;
  }

  /** Writes the thumbnail row summed so far as means, and starts the next. */
  private flushRow(): void {
    if (this.rowsInSums === 0) return;
    const offset = this.thumbnailRow * this.thumbnailWidth;
    for (let x = 0; x < this.thumbnailWidth; x++) {
      const count = (this.columnCounts[x] as number) * this.rowsInSums;
      if (count > 0) this.pixels[offset + x] = Math.round((this.rowSums[x] as number) / count);
    }
    this.rowSums.fill(0);
    this.rowsInSums = 0;
  }
}

/** Undoes PNG filter `filter` on `row` (its byte 0 is the filter), given the row above, already undone. */
function unfilter(filter: number, row: Uint8Array, above: Uint8Array, bytesPerPixel: number): void {
  const end = row.length;
  switch (filter) {
    case 1:
      for (let i = 1 + bytesPerPixel; i < end; i++)
        row[i] = ((row[i] as number) + (row[i - bytesPerPixel] as number)) & 0xff;
      break;
    case 2:
      for (let i = 1; i < end; i++) row[i] = ((row[i] as number) + (above[i] as number)) & 0xff;
      break;
    case 3:
      for (let i = 1; i < end; i++) {
        const left = i > bytesPerPixel ? (row[i - bytesPerPixel] as number) : 0;
        row[i] = ((row[i] as number) + ((left + (above[i] as number)) >> 1)) & 0xff;
      }
      break;
    case 4:
      for (let i = 1; i < end; i++) {
        const left = i > bytesPerPixel ? (row[i - bytesPerPixel] as number) : 0;
        const up = above[i] as number;
        const upLeft = i > bytesPerPixel ? (above[i - bytesPerPixel] as number) : 0;
        const estimate = left + up - upLeft;
        const [toLeft, toUp, toUpLeft] = [
          Math.abs(estimate - left),
          Math.abs(estimate - up),
          Math.abs(estimate - upLeft),
        ];
        const predictor = toLeft <= toUp && toLeft <= toUpLeft ? left : toUp <= toUpLeft ? up : upLeft;
        row[i] = ((row[i] as number) + predictor) & 0xff;
      }
      break;
  }
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
