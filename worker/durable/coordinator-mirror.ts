import { createLogger, type Job } from "../../contracts";
import { loadConfig } from "../config";
import { refreshJobRow, updateJobRow } from "../db/jobs-table";
import type { CoordinatorStorage } from "./coordinator-storage";

/** Progress refreshes the job's D1 copy at most this often (lists and stuck-job checks read it). */
const PROGRESS_MIRROR_MS = 60_000;

/** The coordinator's copy of its job in D1 (the `jobs` row lists, counts and quotas read). */
export class JobMirror {
  /** When progress last refreshed the row (this instance's memory: after a restart, at once). */
  private refreshedAt = 0;

  constructor(
    private readonly env: Env,
    private readonly store: CoordinatorStorage,
  ) {}

  /** A status change (or file facts found), written before the object's own state: a failure changes nothing. */
  async write(job: Job): Promise<void> {
    const fault = loadConfig(this.env).FAULT_INJECTION;
    if (fault.fail_d1_mirror_of === job.status) {
      const injected = await this.store.count("faults_injected");
      if (injected < fault.times) {
        await this.store.put({ faults_injected: injected + 1 });
        throw new Error(`D1 write failed (injected fault ${injected + 1} of ${fault.times})`);
      }
    }
    await updateJobRow(this.env.DB, job);
  }

  /**
   * Progress keeps the row of a processing job fresh (its `updated_at` and snapshot), at most once
   * per PROGRESS_MIRROR_MS, so lists show recent progress and a long healthy job is not taken for a
   * stuck one. Best effort: a failed write only waits for the next progress.
   */
  async refresh(job: Job): Promise<void> {
    if (Date.now() - this.refreshedAt < PROGRESS_MIRROR_MS) return;
    this.refreshedAt = Date.now();
    try {
      await refreshJobRow(this.env.DB, job);
    } catch (err) {
      createLogger("coordinator", loadConfig(this.env).LOG_LEVEL).warn("progress not mirrored", {
        request_id: job.request_id,
        job_id: job.id,
        error: String(err),
      });
    }
  }
}
