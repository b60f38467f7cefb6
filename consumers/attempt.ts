import {
  AUTO_LANGUAGE,
  type AvResult,
  type AvWarning,
  chooseSpeechEngine,
  type ExtractionResult,
  isTerminal,
  type JobError,
  type Logger,
  type SpeechEngineName,
  type WorkMessage,
} from "../contracts";
import type { Config } from "../worker/config";
import { type RunnerInput, type RunnerProgress, runOnRunner, WorkError } from "../worker/runner/runner-client";
import type { RunnerEndpoint } from "../worker/runner/runner-endpoint";
import { transcribeWithNova3 } from "../worker/runner/workers-ai-nova3";
import { transcribeWithWhisper } from "../worker/runner/workers-ai-whisper";
import type { coordinatorFor } from "../worker/services/coordinator";
import { speechEnginesFor } from "../worker/services/languages";
import { decideRetry, type RetryDecision } from "./retry-policy";

/** How often a consumer checks, between progress reports, that its job is still its to work on. */
const LEASE_CHECK_MS = 2000;

type Coordinator = ReturnType<typeof coordinatorFor>;

/**
 * Aborts when the job ends elsewhere (canceled) or `attempt` was taken over: the runner sees the
 * disconnect and stops its engines. Checked every few seconds, and on `abort()` when a report to
 * the coordinator was refused; `stop()` ends the watch.
 */
export function watchLease(coordinator: Coordinator, attempt: number) {
  const controller = new AbortController();
  const timer = setInterval(async () => {
    const job = await coordinator.get().catch(() => undefined);
    if (job && (job.status !== "processing" || job.attempts !== attempt)) controller.abort();
  }, LEASE_CHECK_MS);
  return { signal: controller.signal, abort: () => controller.abort(), stop: () => clearInterval(timer) };
}

/** The uploaded file, streamed from R2, as the runner takes it. */
export async function sourceInput(
  env: Env,
  work: WorkMessage,
  signal: AbortSignal,
  query?: Record<string, string>,
): Promise<RunnerInput & { language: string }> {
  const source = await env.FILES.get(work.object_key);
  if (!source) throw new WorkError("internal_error", "the uploaded file is missing from storage", "permanent");
  return {
    body: source.body,
    mime: work.mime,
    language: work.options.language,
    requestId: work.request_id,
    signal,
    query: {
      // OCR's page handling; the runner turns and straightens pages unless told not to.
      ...(work.kind === "ocr"
        ? {
            rotate_pages: String(work.options.rotate_pages !== false),
            deskew: String(work.options.deskew !== false),
            ...(work.options.pages === undefined ? {} : { pages: work.options.pages }),
          }
        : {}),
      // Each channel on its own (the runner's engine, or the chunks it cuts for Workers AI).
      ...(work.kind === "av" && work.options.channels === "split" ? { channels: "split" } : {}),
      ...query,
    },
  };
}

/**
 * The speech engine a recording's job runs on: the one its options name (submission settles `auto`
 * to the engine it chose, settleJobOptions), checked by `chooseSpeechEngine` against the engines this
 * deployment has for its user now. Should a flag have been turned off since, the job fails with the
 * code submission would now refuse it with; it never moves to another engine half-way.
 */
export async function speechEngineFor(env: Env, config: Config, work: WorkMessage): Promise<SpeechEngineName> {
  const choice = chooseSpeechEngine(work.options, await speechEnginesFor(env, config, work.user_id));
  if (!choice.ok) throw new WorkError(choice.code, choice.message, "permanent");
  return choice.engine;
}

/** Runs OCR or transcription: on the runner, or with the speech engine on Workers AI the job's options choose. */
export async function extract(
  env: Env,
  config: Config,
  work: WorkMessage,
  endpoint: RunnerEndpoint,
  input: RunnerInput & { language: string },
  onProgress: (event: RunnerProgress) => Promise<void>,
): Promise<{ result: ExtractionResult; pdf: Uint8Array | null }> {
  if (work.kind === "ocr") return runOnRunner(endpoint, { ...input, kind: "ocr" }, onProgress);
  const engine = await speechEngineFor(env, config, work);
  switch (engine) {
    case "pocketsphinx":
      return transcribeOnRunner(endpoint, work, input, onProgress);
    case "whisper":
      return {
        result: await transcribeWithWhisper(aiBinding(env), endpoint, input, work.options, onProgress),
        pdf: null,
      };
    case "nova-3": {
      // Speaker labels hold within one request: a fan-out part (up to 1.25 × FAN_OUT_SECONDS, as parts are
      // cut at pauses near their target) or a shorter recording goes to nova-3 whole.
      const diarizeSeconds = Math.ceil(config.FAN_OUT_SECONDS * 1.25);
      const result = await transcribeWithNova3(aiBinding(env), endpoint, input, work.options, onProgress, {
        diarizeSeconds,
      });
      return { result, pdf: null };
    }
  }
}

/**
 * The AI binding, for an engine on Workers AI: speechEnginesFor offers those only where the binding is
 * (and the configuration refuses SPEECH_ENGINE=workers-ai without it), so it is always there; this
 * only tells TypeScript so, and says which promise broke should it ever be missing.
 */
function aiBinding(env: Env): Ai {
  if (!env.AI) throw new Error("a speech engine on Workers AI was chosen without the AI binding (speechEnginesFor)");
  return env.AI;
}

/**
 * pocketsphinx, the runner's engine: it hears US English only, with a fixed language model. A job in
 * `auto` is transcribed as English and says so; its vocabulary is reported unused.
 */
async function transcribeOnRunner(
  endpoint: RunnerEndpoint,
  work: WorkMessage,
  input: RunnerInput & { language: string },
  onProgress: (event: RunnerProgress) => Promise<void>,
): Promise<{ result: AvResult; pdf: null }> {
  const auto = work.options.language === AUTO_LANGUAGE;
  const { result } = await runOnRunner(
    endpoint,
    { ...input, language: auto ? "eng" : input.language, kind: "av" },
    onProgress,
  );
  if (result.kind !== "av")
    throw new WorkError("internal_error", "the runner answered a recording with OCR", "permanent");
  const warnings: AvWarning[] = [...result.warnings];
  if (auto) {
    warnings.push({
      code: "language_not_detected",
      message: "pocketsphinx hears English only; the recording was transcribed as English",
    });
  }
  if (work.options.vocabulary) {
    warnings.push({
      code: "vocabulary_unused",
      message:
        "pocketsphinx's language model is fixed: it cannot be given terms to listen for (Whisper and nova-3 can, where this deployment has them)",
      terms: [...work.options.vocabulary],
    });
  }
  return {
    result: { ...result, ...(auto ? { language: "eng", detected_language: null } : {}), warnings },
    pdf: null,
  };
}

/** Anything thrown while working, as a classified failure. */
export function asWorkError(err: unknown): WorkError {
  return err instanceof WorkError
    ? err
    : // Not raised by our own checks: a platform call failed (D1, R2, the coordinator). Worth a retry.
      new WorkError("internal_error", err instanceof Error ? err.message : String(err), "transient");
}

/** Retry or fail, by the policy: the delivery count of this message and the job's budget so far. */
export function retryDecision(
  failure: WorkError,
  message: Message<unknown>,
  job: { engine_seconds: number; replays: number },
  engineSeconds: number,
  config: Config,
): RetryDecision {
  return decideRetry(
    failure,
    { delivery: message.attempts, engineSeconds: job.engine_seconds + engineSeconds },
    config.RETRY_POLICY,
    // Each operator replay grants the job a fresh budget (the attempt budget is the coordinator's).
    { maxEngineSeconds: config.JOB_MAX_ENGINE_SECONDS * (1 + job.replays) },
  );
}

/** The error a job (or a part) fails with after a `fail` decision. */
export function failureError(
  decision: Extract<RetryDecision, { action: "fail" }>,
  failure: WorkError,
  attempts: number,
): JobError {
  if (decision.reason === "not_retryable") return { code: failure.code, message: failure.message };
  const spent = decision.reason === "budget_exceeded" ? "out of budget" : "out of retries";
  return {
    code: decision.reason,
    message: `${spent} after ${attempts} attempts; last error: ${failure.code}: ${failure.message}`,
  };
}

/**
 * After a failed attempt (or part): `null` when the job ended or moved on meanwhile (the message is
 * then acknowledged, with `stopped` logged: there is nothing to decide); otherwise the failure
 * classified, the engine time it cost, the job as it is now, the retry decision, and the fields a
 * log line about it carries.
 */
export async function judgeFailure(
  err: unknown,
  context: {
    coordinator: Coordinator;
    attempt: number;
    lease: { signal: AbortSignal };
    startedAt: number;
    message: Message<unknown>;
    config: Config;
    log: Logger;
  },
  stopped: string,
) {
  const { coordinator, attempt, startedAt, message, config } = context;
  const job = await coordinator.get();
  if (context.lease.signal.aborted || !job || isTerminal(job.status) || job.attempts !== attempt) {
    context.log.info(stopped);
    message.ack();
    return null;
  }
  const failure = asWorkError(err);
  const engineSeconds = (Date.now() - startedAt) / 1000;
  return {
    failure,
    engineSeconds,
    job,
    decision: retryDecision(failure, message, job, engineSeconds, config),
    fields: failureFields(failure),
  };
}

/** A failure as a log line's fields. */
export const failureFields = (failure: WorkError) => ({
  error_code: failure.code,
  error_class: failure.errorClass,
  error: failure.message,
});
