import * as Multipart from "multipasta";
import { ApiError } from "../errors";

/** A file field of a form, as it arrives. */
export type FormFile = { name: string; type: string; stream: ReadableStream<Uint8Array> };

/** How many bytes of a file may wait for its reader before the body is read on (one R2 part is buffered apart). */
const FILE_HIGH_WATER_MARK = 1024 * 1024;
/** The file is handed on in pieces of this size (the last one shorter). */
const FILE_PIECE_BYTES = 256 * 1024;
const DASH = 0x2d;
/** Text fields (the job's options) are small. */
const MAX_FIELD_BYTES = 64 * 1024;

/** The largest form body that may carry a file of `maxFileBytes`: other parts and headers take the rest. */
export const maxFormBytes = (maxFileBytes: number) => maxFileBytes + MAX_FIELD_BYTES;

const malformed = (why: string) =>
  new ApiError("validation_failed", `the body is not a well-formed multipart/form-data form (${why})`);

function parseError(error: Multipart.MultipartError): ApiError {
  switch (error._tag) {
    case "InvalidBoundary":
      return new ApiError("validation_failed", "send the file as multipart/form-data (a `file` field)");
    case "ReachedLimit":
      if (error.limit === "MaxTotalSize")
        return new ApiError("payload_too_large", "the body is larger than uploads may be");
      return error.limit === "MaxFieldSize"
        ? new ApiError("validation_failed", `a text field is longer than ${MAX_FIELD_BYTES} bytes`)
        : malformed(`too many parts`);
    case "BadHeaders":
      return malformed("a part's headers");
    case "InvalidDisposition":
      return malformed("a part has no name");
    case "EndNotReached":
      return malformed("it ends before its closing boundary");
  }
}

/**
 * Reads a multipart/form-data body as it arrives (multipasta's parser): text fields are collected,
 * and the file field named `fileField` is handed to `onFile` as a stream while the rest of the body
 * is still on its way. The body is read only as fast as that stream is consumed, so the upload is
 * never held whole in memory. Other file fields are skipped; a second `fileField` is refused.
 * Resolves when the body has been read and `onFile` has finished, with its result (undefined when
 * the form had no such file).
 */
export async function readForm<T>(
  request: Request,
  fileField: string,
  maxBytes: number,
  onFile: (file: FormFile) => Promise<T>,
): Promise<{ fields: Record<string, string>; file: T | undefined }> {
  if (!request.body) throw parseError({ _tag: "InvalidBoundary" });
  const fields: Record<string, string> = {};
  let error: ApiError | undefined;
  let done = false;
  let fileCount = 0;
  let stored: Promise<T> | undefined;
  let failed = false;
  let file: ReadableStreamDefaultController<Uint8Array> | undefined;
  let fileEnded = false;
  let fileCanceled = false;
  let wake: (() => void) | undefined;
  const wakeUp = () => {
    wake?.();
    wake = undefined;
  };

  const parser = Multipart.make({
    headers: Object.fromEntries(request.headers),
    // The file field is a file however its name is written (see fileNameOf).
    isFile: (info) => partName(info) === fileField || Multipart.defaultIsFile(info),
    maxParts: 16,
    maxFieldSize: MAX_FIELD_BYTES,
    // The whole body, other parts and their headers included (a chunked body declares no length).
    maxTotalSize: maxFormBytes(maxBytes),
    onField(info, value) {
      if (!done) fields[info.name] = Multipart.decodeField(info, value);
    },
    onFile(info) {
      // Parts of other names, and anything after the closing boundary, are skipped.
      if (partName(info) !== fileField || done) return () => {};
      if (++fileCount > 1) {
        error ??= new ApiError("validation_failed", `one \`${fileField}\` per request`);
        return () => {};
      }
      const stream = new ReadableStream<Uint8Array>(
        {
          start(controller) {
            file = controller;
          },
          pull: wakeUp,
          cancel() {
            fileCanceled = true;
            wakeUp();
          },
        },
        new ByteLengthQueuingStrategy({ highWaterMark: FILE_HIGH_WATER_MARK }),
      );
      stored = onFile({ name: fileNameOf(info), type: info.contentType, stream });
      stored.catch(() => {
        failed = true;
        wakeUp();
      });
      // The body arrives in small pieces (kilobytes); each stream step costs about as much as copying
      // a piece, so the file is handed on in pieces of FILE_PIECE_BYTES.
      let piece: Uint8Array | undefined;
      let pieceLength = 0;
      const handOn = () => {
        if (piece && pieceLength > 0) file?.enqueue(piece.subarray(0, pieceLength));
        piece = undefined;
        pieceLength = 0;
      };
      return (chunk) => {
        if (fileCanceled || fileEnded) return;
        if (chunk === null) {
          handOn();
          fileEnded = true;
          file?.close();
          return;
        }
        for (let at = 0; at < chunk.length; ) {
          piece ??= new Uint8Array(FILE_PIECE_BYTES);
          const take = Math.min(FILE_PIECE_BYTES - pieceLength, chunk.length - at);
          piece.set(chunk.subarray(at, at + take), pieceLength);
          pieceLength += take;
          at += take;
          if (pieceLength === FILE_PIECE_BYTES) handOn();
        }
      };
    },
    onError(err) {
      error ??= parseError(err);
    },
    onDone() {
      done = true;
    },
  });

  const read = bodyReader(request.body);
  // Dashes that end a read wait for the next one: multipasta reads the closing "--" after a boundary
  // only when both dashes arrive in the same write.
  let heldDashes: Uint8Array | undefined;
  try {
    while (!error && !failed && !fileCanceled) {
      const next = await read.next();
      if (next.done) {
        if (heldDashes) parser.write(heldDashes);
        parser.end();
        if (!done) error ??= malformed("it ends before its closing boundary");
        break;
      }
      let chunk = next.value;
      if (heldDashes) {
        const joined = new Uint8Array(heldDashes.length + chunk.length);
        joined.set(heldDashes);
        joined.set(chunk, heldDashes.length);
        chunk = joined;
        heldDashes = undefined;
      }
      let end = chunk.length;
      while (end > 0 && chunk[end - 1] === DASH) end--;
      if (end < chunk.length) {
        heldDashes = chunk.slice(end);
        chunk = chunk.subarray(0, end);
      }
      if (chunk.length > 0) parser.write(chunk);
      // Backpressure: wait while the file's reader has enough queued.
      while (file && !fileEnded && !fileCanceled && !failed && (file.desiredSize ?? 1) <= 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
      if (done) break;
    }
  } catch (err) {
    // The client went away (or the body broke) mid-upload.
    error ??= malformed(`the body could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (failed || fileCanceled) {
    // `onFile` refused the file (its type, its size…): the rest of the body is not wanted.
    await read.cancel().catch(() => {});
    return { fields, file: await stored };
  }
  if (error || !done) {
    const reason = error ?? malformed("it ends before its closing boundary");
    if (file && !fileEnded && !fileCanceled) file.error(reason);
    await read.cancel(reason).catch(() => {});
    await stored?.catch(() => {});
    throw reason;
  }
  if (file && !fileEnded) file.error(malformed("the file part is not closed"));
  return { fields, file: await stored };
}

/** Bytes read from the body at a time: at least the first, into a buffer of the second. */
const BODY_READ_MIN_BYTES = 64 * 1024;
const BODY_READ_BYTES = 256 * 1024;

/**
 * Reads a request body in large pieces where the runtime can (workerd's `readAtLeast` on a BYOB
 * reader), else as it comes. A body arrives in pieces of a few kilobytes, and each read costs about
 * as much CPU as parsing the piece, so reading 64 KiB or more at a time saves most of it.
 */
function bodyReader(body: ReadableStream<Uint8Array>) {
  try {
    const reader = body.getReader({ mode: "byob" });
    return {
      next: () =>
        typeof reader.readAtLeast === "function"
          ? reader.readAtLeast(BODY_READ_MIN_BYTES, new Uint8Array(BODY_READ_BYTES))
          : reader.read(new Uint8Array(BODY_READ_BYTES)),
      cancel: (reason?: unknown) => reader.cancel(reason),
    };
  } catch {
    // Not a byte stream: read as it comes.
    const reader = body.getReader();
    return { next: () => reader.read(), cancel: (reason?: unknown) => reader.cancel(reason) };
  }
}

/**
 * A part's Content-Disposition as sent. multipasta reads its parameters as RFC 7230 does, Latin-1
 * at most: browsers and most clients send `filename="…"` with the name in UTF-8 as it is (RFC 7578
 * §4.2), and for such a header it gives up on all of them (no `name`, no `filename`). Those are read
 * here, leniently, from the header itself.
 */
function dispositionOf(info: Multipart.PartInfo): string {
  const header = info.headers["content-disposition"];
  return (Array.isArray(header) ? header[0] : header) ?? "";
}

/** A quoted or bare parameter of a Content-Disposition (`name`, `filename`), escapes undone. */
function dispositionParameter(disposition: string, parameter: string): string | undefined {
  const quoted = new RegExp(`;\\s*${parameter}\\s*=\\s*"((?:[^"\\\\]|\\\\.)*)"`, "i").exec(disposition)?.[1];
  if (quoted !== undefined) return quoted.replace(/\\(.)/g, "$1");
  return new RegExp(`;\\s*${parameter}\\s*=\\s*([^;\\s"]+)`, "i").exec(disposition)?.[1];
}

/** The part's field name. */
function partName(info: Multipart.PartInfo): string {
  return info.name || (dispositionParameter(dispositionOf(info), "name") ?? "");
}

/** The file part's name: `filename*` (RFC 5987) or `filename` as multipasta read them, else as sent. */
function fileNameOf(info: Multipart.PartInfo): string {
  if (info.filename !== undefined) return info.filename;
  return dispositionParameter(dispositionOf(info), "filename") ?? "";
}
