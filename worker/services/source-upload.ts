import type { JobKind } from "../../contracts";
import { claimMismatch, detectFileKind, SNIFF_BYTES, unsupportedContentMessage } from "../../contracts/file-kind";
import { ApiError } from "../errors";
import { toHex } from "../lib/crypto";

/** File names are kept to this many bytes of UTF-8 (what most file systems allow). */
export const MAX_FILE_NAME_BYTES = 255;
const utf8 = new TextEncoder();

/**
 * A file name made safe to keep and show: NFC-normalised; no path (only what follows the last `/` or
 * `\`); no control characters, and no format characters (bidi overrides such as U+202E, which make
 * "invoice\u202Efdp.png" show as "invoicegnp.pdf", zero-width spaces, byte-order marks); at most
 * MAX_FILE_NAME_BYTES bytes of UTF-8, cut between characters. Any script is kept as it is.
 */
export function sanitizeFileName(name: string): string {
  const base = name.normalize("NFC").split(/[\\/]/).pop() ?? "";
  const clean = base.replace(/[\p{Cc}\p{Cf}]/gu, "").trim();
  let bytes = 0;
  let kept = "";
  for (const character of clean) {
    bytes += utf8.encode(character).length;
    if (bytes > MAX_FILE_NAME_BYTES) break;
    kept += character;
  }
  return kept.trim() || "upload";
}

/** Refuses content that is not supported, or that its name or declared type contradicts. */
export function assertAcceptable(
  detected: { kind: JobKind; mime: string } | null,
  claimed: { name: string; type: string },
): { kind: JobKind; mime: string } {
  if (!detected) {
    throw new ApiError("unsupported_media_type", unsupportedContentMessage(claimed.name));
  }
  const mismatch = claimMismatch(claimed, detected.mime);
  if (mismatch) throw new ApiError("media_type_mismatch", `${mismatch}; rename the file or fix its type`);
  return detected;
}

/** What `storeSource` stored. */
export type StoredSource = { name: string; size: number; kind: JobKind; mime: string; sha256: string };

/**
 * Stores a direct upload at `key` as it streams in: its kind decided from its first bytes (refused
 * before anything is written), its SHA-256 computed on the way (Workers' DigestStream, a part at a time), and one part
 * buffer of at most `partBytes` in memory, reused from part to part. A file of up to `partBytes` is
 * one `put` (which R2 checks against the hash); a larger one an R2 multipart upload of `partBytes`
 * parts, aborted if anything fails. Over `maxBytes` it stops with `payload_too_large`.
 */
export async function storeSource(
  files: R2Bucket,
  key: string,
  file: { name: string; type: string; stream: ReadableStream<Uint8Array> },
  limits: { maxBytes: number; partBytes: number; userId: string },
): Promise<StoredSource> {
  const digest = new crypto.DigestStream("SHA-256");
  const hash = digest.getWriter();
  const reader = file.stream.getReader();
  // Grows (doubling) up to one part, so a small file costs little; then stays, reused for every part.
  let buffer = new Uint8Array(Math.min(limits.partBytes, 64 * 1024));
  let filled = 0;
  let size = 0;
  let detected: { kind: JobKind; mime: string } | undefined;
  let upload: R2MultipartUpload | undefined;
  const parts: R2UploadedPart[] = [];
  const metadata = () => ({
    httpMetadata: { contentType: detected?.mime },
    customMetadata: { user_id: limits.userId, file_name: sanitizeFileName(file.name) },
  });
  const detect = async () => {
    detected ??= assertAcceptable(await detectFileKind(buffer.subarray(0, Math.min(filled, SNIFF_BYTES))), file);
  };
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      const chunk = next.value;
      size += chunk.length;
      if (size > limits.maxBytes)
        throw new ApiError("payload_too_large", `uploads are limited to ${limits.maxBytes} bytes`);
      for (let at = 0; at < chunk.length; ) {
        if (filled === buffer.length && buffer.length < limits.partBytes) {
          const larger = new Uint8Array(Math.min(limits.partBytes, buffer.length * 2));
          larger.set(buffer);
          buffer = larger;
        }
        const take = Math.min(chunk.length - at, buffer.length - filled);
        buffer.set(chunk.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled >= SNIFF_BYTES) await detect();
        if (filled === limits.partBytes) {
          // A full part (R2 wants every part but the last of the same size); once hashed and sent, the
          // buffer is free again. Hashing a part at a time costs less than a chunk at a time.
          await hash.write(buffer);
          upload ??= await files.createMultipartUpload(key, metadata());
          parts.push(await upload.uploadPart(parts.length + 1, buffer));
          filled = 0;
        }
      }
    }
    if (size === 0) throw new ApiError("file_empty");
    await detect();
    if (filled > 0) await hash.write(buffer.subarray(0, filled));
    await hash.close();
    const sha256 = toHex(await digest.digest);
    if (upload) {
      if (filled > 0) parts.push(await upload.uploadPart(parts.length + 1, buffer.subarray(0, filled)));
      await upload.complete(parts);
    } else {
      // R2 refuses the write if the stored bytes differ from the hash.
      await files.put(key, buffer.subarray(0, filled), { sha256, ...metadata() });
    }
    return { name: file.name, size, sha256, ...(detected as { kind: JobKind; mime: string }) };
  } catch (err) {
    await upload?.abort().catch(() => {});
    await reader.cancel(err).catch(() => {});
    throw err;
  }
}
