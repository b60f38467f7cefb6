import type { Job } from "../../contracts";
import { ApiError } from "../errors";
import { coordinatorFor } from "./coordinator";

/** The job if it exists and belongs to `userId`; otherwise the same 404 either way, so ids leak nothing. */
export async function ownedJob(env: Env, userId: string, jobId: string): Promise<Job> {
  const job = await coordinatorFor(env, jobId).get();
  if (!job || job.user_id !== userId) throw new ApiError("not_found", `no job ${jobId}`);
  return job;
}
