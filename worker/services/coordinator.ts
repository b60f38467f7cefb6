import type { JobCoordinator } from "../durable/job-coordinator";

/** The Durable Object that owns job `jobId`. */
export function coordinatorFor(env: Env, jobId: string): DurableObjectStub<JobCoordinator> {
  const ns = env.JOB_COORDINATOR as DurableObjectNamespace<JobCoordinator>;
  return ns.get(ns.idFromName(jobId));
}
