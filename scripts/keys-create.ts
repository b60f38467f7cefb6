import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ulid } from "ulid";
import { z } from "zod";
import { scopesOfRole } from "../contracts/api-keys";
import { newApiKey } from "../worker/lib/api-key";
import { applyMigrations, wrangler } from "./local-stack";

/**
 * `npm run keys:create -- --email EMAIL [--name NAME] [--admin]`: creates the user if needed (an admin
 * with --admin) and a new API key in the local D1 database, and prints the key alone on the last line.
 * Only the key's hash is stored.
 */
const { values } = parseArgs({
  options: { email: { type: "string" }, name: { type: "string" }, admin: { type: "boolean", default: false } },
});
const email = z.email().safeParse(values.email?.trim().toLowerCase());
if (!email.success) {
  console.error("usage: npm run keys:create -- --email you@example.com [--name laptop] [--admin]");
  process.exit(2);
}
const name = z.string().trim().min(1).max(100).catch("default").parse(values.name);

const sql = (value: string) => `'${value.replaceAll("'", "''")}'`;
const { key, hash, prefix } = await newApiKey();
const now = new Date().toISOString();
const statements = [
  `INSERT INTO users (id, email, role, created_at) VALUES (${sql(`usr_${ulid()}`)}, ${sql(email.data)}, 'user', ${sql(now)})
     ON CONFLICT(email) DO NOTHING;`,
  ...(values.admin ? [`UPDATE users SET role = 'admin' WHERE email = ${sql(email.data)};`] : []),
  // Every scope the user's role allows (`admin` for an admin).
  `INSERT INTO api_keys (id, user_id, key_hash, prefix, name, created_at, scopes)
     SELECT ${sql(`key_${ulid()}`)}, id, ${sql(hash)}, ${sql(prefix)}, ${sql(name)}, ${sql(now)},
       CASE role WHEN 'admin' THEN ${sql(JSON.stringify(scopesOfRole("admin")))} ELSE ${sql(JSON.stringify(scopesOfRole("user")))} END
     FROM users WHERE email = ${sql(email.data)};`,
];

applyMigrations();
const dir = mkdtempSync(join(tmpdir(), "verbatim-key-"));
try {
  const file = join(dir, "key.sql");
  writeFileSync(file, statements.join("\n"));
  wrangler(["d1", "execute", "DB", "--local", "--file", file]);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`Created API key ${prefix}… for ${email.data}. It is shown once; store it now:`);
console.log(key);
