import { API_KEY_PATTERN } from "../../contracts/api-keys";
import { BASE62, randomBase62, sha256Hex } from "./crypto";

/** The API key format (contracts/api-keys.ts): `vb_`, random base62, then a checksum. */
export const API_KEY_PREFIX = "vb_";
const RANDOM_CHARS = 32;
const CHECKSUM_CHARS = 6;

/** The checksum of a key's random part: the first hex digits of its SHA-256, in base62. */
async function checksum(random: string): Promise<string> {
  const digest = BigInt(`0x${(await sha256Hex(random)).slice(0, 12)}`);
  let out = "";
  for (let n = digest; out.length < CHECKSUM_CHARS; n /= 62n) out += BASE62[Number(n % 62n)];
  return out;
}

/** A new key: shown to its owner once; only its hash is stored. */
export async function newApiKey(): Promise<{ key: string; hash: string; prefix: string }> {
  const random = randomBase62(RANDOM_CHARS);
  const key = `${API_KEY_PREFIX}${random}${await checksum(random)}`;
  return { key, hash: await sha256Hex(key), prefix: key.slice(0, 10) };
}

/** Whether `key` has the shape and checksum of a key this platform issued (no lookup). */
export async function isWellFormedApiKey(key: string): Promise<boolean> {
  if (!API_KEY_PATTERN.test(key)) return false;
  const random = key.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + RANDOM_CHARS);
  return key.endsWith(await checksum(random));
}

export const hashApiKey = sha256Hex;
