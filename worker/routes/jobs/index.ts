import { newApp } from "../../app";
import { cancelJobRoute } from "./cancel";
import { createJobRoute } from "./create";
import { jobEventsRoute, jobEventsTicketRoute } from "./events";
import { getJobRoute } from "./get";
import { listJobsRoute } from "./list";
import { jobResultRoute } from "./result";

/** Routes that authenticate themselves (the events socket accepts a ticket instead of a header). */
export const publicJobRoutes = newApp().route("/", jobEventsRoute);

/** Routes behind the API-key middleware. */
export const jobRoutes = newApp()
  .route("/", createJobRoute)
  .route("/", listJobsRoute)
  .route("/", getJobRoute)
  .route("/", jobResultRoute)
  .route("/", cancelJobRoute)
  .route("/", jobEventsTicketRoute);
