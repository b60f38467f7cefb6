import { bytesFromBase64 } from "./base64";

/**
 * Secrets the platform must be able to read back (webhook signing secrets) are kept encrypted with
 * AES-256-GCM under a key from configuration (WEBHOOK_SECRETS_KEY, 32 bytes, base64); the stored form
 * is `v1.<iv>.<ciphertext>`, base64url.
 */
const b64url = {
  encode: (bytes: Uint8Array) => bytes.toBase64({ alphabet: "base64url", omitPadding: true }),
  decode: (text: string) => Uint8Array.fromBase64(text, { alphabet: "base64url" }),
};

async function importKey(keyBase64: string): Promise<CryptoKey> {
  const raw = bytesFromBase64(keyBase64);
  return crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
}

export async function seal(plaintext: string, keyBase64: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await importKey(keyBase64),
    new TextEncoder().encode(plaintext),
  );
  return `v1.${b64url.encode(iv)}.${b64url.encode(new Uint8Array(sealed))}`;
}

export async function open(stored: string, keyBase64: string): Promise<string> {
  const [version, iv, data] = stored.split(".");
  if (version !== "v1" || !iv || !data) throw new Error("not a sealed secret");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: b64url.decode(iv) },
    await importKey(keyBase64),
    b64url.decode(data),
  );
  return new TextDecoder().decode(plain);
}
