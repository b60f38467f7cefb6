import { createRoute } from "@hono/zod-openapi";
import { Languages } from "../../contracts";
import { newApp } from "../app";
import { requireScope } from "../middleware/auth";
import { languagesFor } from "../services/languages";
import { authErrors } from "./shared";

const route = createRoute({
  // What a job may ask for: the companion of submitting one.
  middleware: [requireScope("jobs:write")] as const,
  method: "get",
  path: "/v1/languages",
  operationId: "getLanguages",
  summary:
    "The languages this deployment reads (OCR, Tesseract codes) and hears (A/V, for the caller's speech engine); a job asking for another is refused with 422 language_unavailable",
  responses: {
    200: { description: "the languages", content: { "application/json": { schema: Languages } } },
    ...authErrors("jobs:write"),
  },
});

export const languagesRoute = newApp().openapi(route, async (c) =>
  c.json(await languagesFor(c.env, c.get("config"), c.get("user").id), 200),
);
