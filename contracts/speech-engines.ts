import type { JobOptions } from "./job";
import {
  AUTO_LANGUAGE,
  SPEECH_ENGINE_PREFERENCE,
  type SpeechEngineAbilities,
  type SpeechEngineName,
} from "./languages";

export type EngineChoice =
  | { ok: true; engine: SpeechEngineName }
  | { ok: false; code: "engine_unavailable" | "language_unavailable"; message: string };

type SpeechOptions = Pick<JobOptions, "engine" | "language" | "translate" | "diarize">;

/** What `engine` cannot do of `options`, as a sentence's end; null when it can do all of it. */
function misfit(
  engine: SpeechEngineAbilities,
  options: SpeechOptions,
): { code: "engine_unavailable" | "language_unavailable"; what: string } | null {
  if (options.language !== AUTO_LANGUAGE && !engine.languages.includes(options.language)) {
    return {
      code: "language_unavailable",
      what: `hear "${options.language}" (it hears ${engine.languages.join(", ")})`,
    };
  }
  if (options.translate && !engine.translate)
    return { code: "engine_unavailable", what: "translate (options.translate)" };
  if (options.diarize && !engine.diarize)
    return { code: "engine_unavailable", what: "label speakers (options.diarize)" };
  return null;
}

/**
 * The speech engine a recording's job runs on: the one asked for, or with `auto` the first of
 * `available` (in the order of preference) that can do everything the options ask. Refused when the
 * engine is not here (`engine_unavailable`) or none here can (`engine_unavailable`, or
 * `language_unavailable` when the language is what no engine hears), naming what can.
 */
export function chooseSpeechEngine(options: SpeechOptions, available: readonly SpeechEngineAbilities[]): EngineChoice {
  const names = available.map((engine) => engine.name).join(", ");
  const asked = options.engine ?? "auto";
  if (asked !== "auto") {
    const engine = available.find((candidate) => candidate.name === asked);
    if (!engine) {
      return {
        ok: false,
        code: "engine_unavailable",
        message: `options.engine: "${asked}" is not available here; available: ${names}`,
      };
    }
    const problem = misfit(engine, options);
    return problem
      ? { ok: false, code: problem.code, message: `${asked} cannot ${problem.what}` }
      : { ok: true, engine: engine.name };
  }
  const ordered = [...available].sort(
    (a, b) => SPEECH_ENGINE_PREFERENCE.indexOf(a.name) - SPEECH_ENGINE_PREFERENCE.indexOf(b.name),
  );
  const able = ordered.find((engine) => misfit(engine, options) === null);
  if (able) return { ok: true, engine: able.name };
  // Say what stands in the way: the language if no engine hears it, else the first option none can do.
  const problems = ordered.map((engine) => misfit(engine, options));
  const language = problems.every((problem) => problem?.code === "language_unavailable");
  const heard = [...new Set(ordered.flatMap((engine) => engine.languages))].sort().join(", ");
  if (language) {
    return {
      ok: false,
      code: "language_unavailable",
      message: `"${options.language}" is not available here; available for speech: ${heard} (one per job, or auto)`,
    };
  }
  const wanted = [
    options.translate ? "translate (options.translate)" : null,
    options.diarize ? "label speakers (options.diarize)" : null,
  ].filter((want) => want !== null);
  return {
    ok: false,
    code: "engine_unavailable",
    message: `no speech engine here can ${wanted.join(" and ")} in "${options.language}"; available: ${ordered
      .map((engine) => `${engine.name} (${describeAbilities(engine)})`)
      .join("; ")}`,
  };
}

/** "translate, diarize; eng, deu": what an engine can do, for messages. */
function describeAbilities(engine: SpeechEngineAbilities): string {
  const can = [engine.translate ? "translate" : null, engine.diarize ? "diarize" : null].filter((x) => x !== null);
  return `${can.length ? `${can.join(", ")}; ` : ""}${engine.languages.join(", ")}`;
}
