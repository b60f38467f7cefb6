import { parseArgs } from "node:util";
import { AdminUser, LimitOverrides, UserLimitsSetting } from "../contracts";
import { adminApi, fail } from "./admin-api";

/**
 * Operator command for one user's own limits, over the admin API (environment and exit codes:
 * admin-api.ts). USER is an email or a user id. `set` keeps the user's other overrides; `clear`
 * removes the named ones, or all.
 *
 *   npm run limits -- show USER
 *   npm run limits -- set USER NAME=VALUE [NAME=VALUE ...]
 *   npm run limits -- clear USER [NAME ...]
 */
const NAMES = Object.keys(LimitOverrides.shape);
const USAGE = [
  "usage: npm run limits -- show USER",
  "       npm run limits -- set USER NAME=VALUE [NAME=VALUE ...]",
  "       npm run limits -- clear USER [NAME ...]",
  "USER: an email or a user id",
  `limits: ${NAMES.join(", ")}`,
].join("\n");
let positionals: string[] = [];
try {
  ({ positionals } = parseArgs({ allowPositionals: true }));
} catch {
  fail(2, USAGE);
}
const [command, user, ...rest] = positionals;
if (!user || !["show", "set", "clear"].includes(command ?? "") || (command === "show" && rest.length > 0)) {
  fail(2, USAGE);
}
const call = adminApi();
async function userId(): Promise<string> {
  if (!user?.includes("@")) return user as string;
  const { data } = (await call(`/v1/admin/users?email=${encodeURIComponent(user)}`)) as { data: unknown[] };
  const [found] = data.map((u) => AdminUser.parse(u));
  if (!found) fail(1, `not_found: no user ${user}`);
  return found.id;
}
const path = `/v1/admin/users/${encodeURIComponent(await userId())}/limits`;
const show = (setting: UserLimitsSetting) => {
  for (const [name, value] of Object.entries(setting.limits)) {
    console.log(`${name.padEnd(20)} ${String(value).padStart(8)}  ${name in setting.overrides ? "own" : "everyone's"}`);
  }
};
const current = async () => UserLimitsSetting.parse(await call(path));
const put = async (overrides: LimitOverrides) =>
  show(UserLimitsSetting.parse(await call(path, { method: "PUT", body: JSON.stringify(overrides) })));

switch (command) {
  case "show":
    show(await current());
    break;
  case "set": {
    if (rest.length === 0) fail(2, USAGE);
    const changes = Object.fromEntries(
      rest.map((pair) => {
        const [, name = "", value = ""] = /^([a-z_]+)=(\d+(?:\.\d+)?)$/.exec(pair) ?? [];
        if (!NAMES.includes(name)) fail(2, USAGE);
        return [name, Number(value)];
      }),
    );
    const overrides = LimitOverrides.safeParse({ ...(await current()).overrides, ...changes });
    if (!overrides.success)
      fail(2, `${USAGE}\n${overrides.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    await put(overrides.data);
    break;
  }
  case "clear": {
    if (rest.some((name) => !NAMES.includes(name))) fail(2, USAGE);
    const kept = Object.entries((await current()).overrides).filter(
      ([name]) => rest.length > 0 && !rest.includes(name),
    );
    await put(Object.fromEntries(kept));
    break;
  }
  default:
    fail(2, USAGE);
}
