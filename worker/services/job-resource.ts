import { type Job, type JobResource, OUTPUT_FORMATS } from "../../contracts";

/** The public shape of a job: everything but the owner, plus links (relative to the API origin). */
export function toResource(job: Job): JobResource {
  const { user_id: _owner, ...rest } = job;
  const self = `/v1/jobs/${job.id}`;
  return {
    ...rest,
    links: {
      self,
      events: `${self}/events`,
      results: Object.fromEntries(OUTPUT_FORMATS[job.kind].map((f) => [f, `${self}/result?format=${f}`])),
    },
  };
}
