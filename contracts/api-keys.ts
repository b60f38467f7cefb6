import { z } from "zod";

/**
 * What an API key may do. Routes declare the scope they need; a key carries the scopes it was
 * created with: at most those of the key that created it (a signed-in session holds all of them),
 * and all of those by default.
 */
export const SCOPES = ["jobs:read", "jobs:write", "keys:manage", "webhooks:manage", "admin"] as const;
export const Scope = z.enum(SCOPES);
export type Scope = z.infer<typeof Scope>;

/** The scopes a user may hold: `admin` (the admin routes) only an admin. */
export const scopesOfRole = (role: "user" | "admin"): Scope[] =>
  SCOPES.filter((scope) => scope !== "admin" || role === "admin");

/**
 * Keys read `vb_` + 32 random base62 characters + a 6-character checksum (the first characters of
 * the SHA-256 of the random part, base62), so a mistyped or truncated key, or a string that merely
 * looks like one, is refused without a lookup, and secret scanners can recognize real ones.
 */
export const API_KEY_PATTERN = /^vb_[0-9A-Za-z]{38}$/;

/** A key as its owner sees it: never the key itself, which is shown once, at creation. */
export const ApiKeyInfo = z.object({
  id: z.string(),
  name: z.string(),
  /** The key's first characters, to recognize it by. */
  prefix: z.string(),
  scopes: z.array(Scope),
  created_at: z.string(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type ApiKeyInfo = z.infer<typeof ApiKeyInfo>;

export const CreatedApiKey = ApiKeyInfo.extend({
  key: z.string().describe("the key itself: shown this once, stored only as a hash"),
});

export const CreateApiKeyRequest = z
  .object({
    name: z.string().trim().min(1).max(100),
    scopes: z
      .array(Scope)
      .min(1)
      .optional()
      .describe("what the key may do; only scopes the calling key holds (default: all of them)"),
  })
  .strict();

export const ApiKeyList = z.object({ data: z.array(ApiKeyInfo) });
