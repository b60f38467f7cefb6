import { newApp } from "../../app";
import { cancelJobRoute } from "./cancel";
import { createJobRoute } from "./create";
import { deleteJobRoute } from "./delete";
import { jobEventsRoute, jobEventsTicketRoute } from "./events";
import { getJobRoute } from "./get";
import { jobCountsRoute, listJobsRoute } from "./list";
import { jobResultRoute } from "./result";
import { jobSourceRoute } from "./source";

/** Routes that authenticate themselves (the events socket accepts a ticket instead of a header). */
export const publicJobRoutes = newApp().route("/", jobEventsRoute);

/** Routes behind the API-key middleware. */
export const jobRoutes = newApp()
  .route("/", createJobRoute)
  .route("/", listJobsRoute)
  // Before /v1/jobs/{id}, which would take "counts" for an id.
  .route("/", jobCountsRoute)
  .route("/", getJobRoute)
  .route("/", jobResultRoute)
  .route("/", jobSourceRoute)
  .route("/", cancelJobRoute)
  .route("/", deleteJobRoute)
  .route("/", jobEventsTicketRoute);
