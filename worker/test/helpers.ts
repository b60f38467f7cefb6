import { env } from "cloudflare:test";
import { ulid } from "ulid";
import { newApiKey } from "../services/api-keys";

/** A user with a fresh API key, written straight to D1 as `npm run keys:create` does. */
export async function createUserWithKey(email = `${ulid().toLowerCase()}@example.test`) {
  const userId = `usr_${ulid()}`;
  const { key, hash, prefix } = await newApiKey();
  const now = new Date().toISOString();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO users (id, email, created_at) VALUES (?, ?, ?)").bind(userId, email, now),
    env.DB.prepare(
      "INSERT INTO api_keys (id, user_id, key_hash, prefix, name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ).bind(`key_${ulid()}`, userId, hash, prefix, "test", now),
  ]);
  return { userId, key, auth: { authorization: `Bearer ${key}` } };
}

/** A 1×1 PNG: enough for content sniffing. */
export const TINY_PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

export function uploadForm(bytes: Uint8Array, name: string, options?: unknown): FormData {
  const form = new FormData();
  form.append("file", new File([bytes], name));
  if (options !== undefined) form.append("options", typeof options === "string" ? options : JSON.stringify(options));
  return form;
}
