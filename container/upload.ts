import { createWriteStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";

/**
 * Streams a request body into `path` (never holding it in memory) and returns its size in bytes.
 * Engines read files, and the body may be far larger than what should sit in the heap.
 */
export async function saveBody(
  body: ReadableStream<Uint8Array> | null,
  path: string,
  signal: AbortSignal,
): Promise<number> {
  if (!body) return 0;
  await pipeline(Readable.fromWeb(body), createWriteStream(path), { signal });
  return (await stat(path)).size;
}
