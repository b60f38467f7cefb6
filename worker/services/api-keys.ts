import { randomBase62, sha256Hex } from "../lib/crypto";

export const API_KEY_PREFIX = "vb_";

/** A new key: shown to its owner once; only its hash is stored. */
export async function newApiKey(): Promise<{ key: string; hash: string; prefix: string }> {
  const key = `${API_KEY_PREFIX}${randomBase62(40)}`;
  return { key, hash: await sha256Hex(key), prefix: key.slice(0, 10) };
}

export const hashApiKey = sha256Hex;
