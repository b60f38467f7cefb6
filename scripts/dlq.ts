import { parseArgs } from "node:util";
import { DeadLetterList, ErrorCode, ReplayOutcome } from "../contracts";
import { adminApi, fail } from "./admin-api";

/**
 * Operator command for the dead-letter queue, over the admin API.
 *
 *   npm run dlq -- list [--code ERROR_CODE] [--job JOB_ID] [--pending]
 *   npm run dlq -- replay (--id RECORD_ID | --job JOB_ID | --code ERROR_CODE)
 *
 * Environment and exit codes: see admin-api.ts.
 */
const USAGE =
  "usage: npm run dlq -- list [--code CODE] [--job JOB_ID] [--pending]\n" +
  "       npm run dlq -- replay (--id RECORD_ID | --job JOB_ID | --code CODE)";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    code: { type: "string" },
    job: { type: "string" },
    id: { type: "string" },
    pending: { type: "boolean", default: false },
  },
});
if (values.code && !ErrorCode.safeParse(values.code).success) fail(2, `unknown error code ${values.code}`);
const call = adminApi();

switch (positionals[0]) {
  case "list": {
    const query = new URLSearchParams({ limit: "200" });
    if (values.code) query.set("error_code", values.code);
    if (values.job) query.set("job_id", values.job);
    if (values.pending) query.set("pending", "true");
    const page = DeadLetterList.parse(await call(`/v1/admin/dead-letters?${query}`));
    if (page.data.length === 0) console.log("no dead letters");
    for (const d of page.data) {
      const replayed = d.replayed_at ? `replayed ${d.replay_count}×` : "pending";
      console.log(
        `${d.id}  ${d.dead_at}  ${d.job_id}  ${d.error_code ?? "-"}  stage=${d.stage}  deliveries=${d.attempts}  ${replayed}`,
      );
    }
    break;
  }
  case "replay": {
    const target = [
      values.id && { id: values.id },
      values.job && { job_id: values.job },
      values.code && { error_code: values.code },
    ].filter(Boolean);
    if (target.length !== 1) fail(2, USAGE);
    const outcome = ReplayOutcome.parse(
      await call("/v1/admin/dead-letters/replay", { method: "POST", body: JSON.stringify(target[0]) }),
    );
    for (const id of outcome.replayed) console.log(`replayed ${id}`);
    for (const s of outcome.skipped) console.log(`skipped  ${s.job_id}: ${s.reason}`);
    console.log(`${outcome.replayed.length} replayed, ${outcome.skipped.length} skipped`);
    break;
  }
  default:
    fail(2, USAGE);
}
