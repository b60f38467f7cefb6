import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { jobCountsQuery, jobListQuery } from "./job-list";

/** SQLite's plan for a statement, one line per step ("SEARCH jobs USING INDEX …"). */
async function plan(statement: { sql: string; params: unknown[] }): Promise<string> {
  const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<{ detail: string }>();
  return results.map((r) => r.detail).join("\n");
}

const CURSOR = "job_01KB0000000000000000000000";

describe("query plans of the jobs list", () => {
  it.each([
    ["the first page", {}, "jobs_user_id_idx (user_id=?)"],
    ["a page deep in the list", { cursor: CURSOR }, "jobs_user_id_idx (user_id=? AND id<?)"],
    ["a status", { status: "succeeded", cursor: CURSOR }, "jobs_user_status_id_idx (user_id=? AND status=? AND id<?)"],
    ["a kind", { kind: "av", cursor: CURSOR }, "jobs_user_kind_id_idx (user_id=? AND kind=? AND id<?)"],
    ["a file-name search", { q: "invoice", cursor: CURSOR }, "jobs_user_id_idx (user_id=? AND id<?)"],
  ] as const)("reads %s from an index in order, without sorting or scanning the table", async (_, filters, index) => {
    const detail = await plan(jobListQuery(env.DB, "usr_1", { limit: 20, ...filters }).toSQL());
    expect(detail).toContain(`SEARCH jobs USING INDEX ${index}`);
    expect(detail).not.toMatch(/SCAN jobs|TEMP B-TREE/);
  });

  it("counts per status from job_counts, by its key", async () => {
    const detail = await plan(jobCountsQuery(env.DB, "usr_1").toSQL());
    expect(detail).toMatch(/SEARCH job_counts USING (PRIMARY KEY|INDEX sqlite_autoindex_job_counts_1) \(user_id=\?\)/);
  });
});
