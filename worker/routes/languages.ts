import { createRoute } from "@hono/zod-openapi";
import { Languages } from "../../contracts";
import { newApp } from "../app";
import { requireScope } from "../middleware/auth";
import { languagesFor } from "../services/languages";
import { authErrors } from "./shared";

const route = createRoute({
  tags: ["Languages"],
  // What a job may ask for: the companion of submitting one.
  middleware: [requireScope("jobs:write")] as const,
  method: "get",
  path: "/v1/languages",
  operationId: "getLanguages",
  summary:
    "The languages this deployment reads (OCR, Tesseract codes) and hears (A/V), and the speech engines it has for the caller",
  description:
    "`speech_engines` lists each speech engine this deployment has for the caller (the runner's pocketsphinx always; " +
    'Whisper and Deepgram nova-3 on Workers AI where they are on), in the order `engine: "auto"` prefers them, with ' +
    "its languages and what it can do (`detect_language`, `translate`, `diarize`, `vocabulary`); `default` marks the " +
    "one `auto` picks when no option asks for more. `av` is the union of their languages. A job asking for a language " +
    "no engine hears is refused with 422 `language_unavailable`; options no engine here can honour (an engine it lacks, " +
    "`translate`, `diarize`) with 422 `engine_unavailable`.",
  responses: {
    200: { description: "the languages", content: { "application/json": { schema: Languages } } },
    ...authErrors("jobs:write"),
  },
});

export const languagesRoute = newApp().openapi(route, async (c) =>
  c.json(await languagesFor(c.env, c.get("config"), c.get("user").id), 200),
);
