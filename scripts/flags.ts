import { parseArgs } from "node:util";
import { Flag, FlagName } from "../contracts";
import { adminApi, fail } from "./admin-api";

/**
 * Operator command for feature flags, over the admin API (environment and exit codes: admin-api.ts).
 *
 *   npm run flags -- list
 *   npm run flags -- set NAME [--enabled true|false] [--rollout PERCENT]
 */
const USAGE =
  "usage: npm run flags -- list\n       npm run flags -- set NAME [--enabled true|false] [--rollout PERCENT]";
const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { enabled: { type: "string" }, rollout: { type: "string" } },
});
const call = adminApi();
const show = (f: Flag) =>
  console.log(`${f.name}  ${f.enabled ? "on " : "off"}  ${String(f.rollout_percent).padStart(3)}%  ${f.description}`);

switch (positionals[0]) {
  case "list": {
    const { data } = (await call("/v1/admin/flags")) as { data: unknown[] };
    for (const flag of data) show(Flag.parse(flag));
    break;
  }
  case "set": {
    const name = FlagName.safeParse(positionals[1]);
    if (!name.success) fail(2, `${USAGE}\nflags: ${FlagName.options.join(", ")}`);
    if (values.enabled !== undefined && !["true", "false"].includes(values.enabled)) fail(2, USAGE);
    const rollout = values.rollout === undefined ? undefined : Number(values.rollout);
    if (rollout !== undefined && !(Number.isInteger(rollout) && rollout >= 0 && rollout <= 100)) fail(2, USAGE);
    const { data } = (await call("/v1/admin/flags")) as { data: unknown[] };
    const current = data.map((f) => Flag.parse(f)).find((f) => f.name === name.data) as Flag;
    const setting = {
      enabled: values.enabled === undefined ? current.enabled : values.enabled === "true",
      rollout_percent: rollout ?? current.rollout_percent,
    };
    show(Flag.parse(await call(`/v1/admin/flags/${name.data}`, { method: "PUT", body: JSON.stringify(setting) })));
    break;
  }
  default:
    fail(2, USAGE);
}
