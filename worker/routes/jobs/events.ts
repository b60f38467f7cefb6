import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { newApp } from "../../app";
import type { AppEnv } from "../../app-env";
import { ApiError } from "../../errors";
import { assertScope, authenticate, requireScope } from "../../middleware/auth";
import { coordinatorFor } from "../../services/coordinator";
import { ownedJob } from "../../services/ownership";
import { authErrors, problem, unauthorized, unexpectedErrors } from "../shared";
import { badJobId, JobIdParam } from "./schemas";

const eventsRoute = createRoute({
  tags: ["Jobs"],
  method: "get",
  path: "/v1/jobs/{id}/events",
  operationId: "streamJobEvents",
  summary: "WebSocket: the job's state at once, then every status change and progress update",
  description:
    "Authenticate with `Authorization: Bearer <key>`, or (browsers) with `?ticket=` from POST /v1/jobs/{id}/events/ticket.",
  request: {
    params: JobIdParam,
    query: z.object({ ticket: z.string().max(64).optional() }),
  },
  responses: {
    101: { description: "switching to WebSocket" },
    401: unauthorized(
      "no credentials, a key or session token that is not valid or has expired, or a ticket that is unknown, used or expired (`unauthorized`, `token_expired`)",
    ),
    403: problem("the calling key lacks the jobs:read scope (`forbidden`)"),
    404: problem("no such job for this caller"),
    422: problem("an id that is not a job id, or a ticket longer than 64 characters (`validation_failed`)"),
    426: problem("not a WebSocket upgrade"),
    ...unexpectedErrors,
  },
});

const ticketRoute = createRoute({
  tags: ["Jobs"],
  middleware: [requireScope("jobs:read")] as const,
  method: "post",
  path: "/v1/jobs/{id}/events/ticket",
  operationId: "createJobEventsTicket",
  summary: "A single-use ticket (60 s) to open the job's WebSocket from a browser",
  request: { params: JobIdParam },
  responses: {
    200: {
      description: "the ticket",
      content: {
        "application/json": { schema: z.object({ ticket: z.string(), expires_at: z.string(), url: z.string() }) },
      },
    },
    ...authErrors("jobs:read"),
    404: problem("no such job for this caller"),
    422: badJobId,
  },
});

/** Forwards the upgrade to the job's coordinator with only the headers it needs. */
function forwardUpgrade(c: Context<AppEnv>, jobId: string, auth: { owner: true } | { ticket: string }) {
  const url = new URL(`https://coordinator/${jobId}/events`);
  const headers = new Headers({ upgrade: "websocket" });
  if ("ticket" in auth) url.searchParams.set("ticket", auth.ticket);
  else headers.set("x-verbatim-authorized", "owner");
  return coordinatorFor(c.env, jobId).fetch(url, { headers });
}

/** Registered before the API-key middleware: a ticket stands in for the Authorization header. */
export const jobEventsRoute = newApp().openapi(eventsRoute, async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") throw new ApiError("websocket_required");
  const { id } = c.req.valid("param");
  const { ticket } = c.req.valid("query");
  if (ticket) {
    const res = await forwardUpgrade(c, id, { ticket });
    if (res.status === 403) throw new ApiError("unauthorized", "the ticket is unknown, used or expired");
    if (res.status === 404) throw new ApiError("not_found", `no job ${id}`);
    return res;
  }
  const user = await authenticate(c);
  assertScope(user, "jobs:read");
  await ownedJob(c.env, user.id, id);
  return forwardUpgrade(c, id, { owner: true });
});

export const jobEventsTicketRoute = newApp().openapi(ticketRoute, async (c) => {
  const { id } = c.req.valid("param");
  await ownedJob(c.env, c.get("user").id, id);
  const issued = await coordinatorFor(c.env, id).issueTicket();
  if (!issued) throw new ApiError("not_found", `no job ${id}`);
  const { ticket, expires_at } = issued;
  return c.json({ ticket, expires_at, url: `/v1/jobs/${id}/events?ticket=${ticket}` }, 200);
});
