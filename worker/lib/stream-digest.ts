import { toHex } from "./crypto";

/** Hex SHA-256 of a stream, read once as it flows (Workers' DigestStream: no copy of the content). */
export async function sha256HexOfStream(stream: ReadableStream<Uint8Array>): Promise<string> {
  const digest = new crypto.DigestStream("SHA-256");
  await stream.pipeTo(digest);
  return toHex(await digest.digest);
}
