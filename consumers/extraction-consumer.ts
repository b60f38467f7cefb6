import { createLogger, isTerminal, type JobError, WorkMessage } from "../contracts";
import type { Config } from "../worker/config";
import { coordinatorFor } from "../worker/services/coordinator";
import { isEnabled } from "../worker/services/flags";
import { resultKey } from "../worker/services/job-service";
import { decideRetry } from "./retry-policy";
import { type RunnerProgress, runOnRunner, WorkError } from "./runner-client";
import { runnerEndpoint } from "./runner-endpoint";
import { transcribeWithWorkersAi } from "./workers-ai-whisper";

/** How often a consumer checks, between progress reports, that its job is still its to work on. */
const LEASE_CHECK_MS = 2000;

/**
 * Runs one OCR or A/V job from its queue message: claims it in its coordinator, streams the
 * source to the media runner, stores the results in R2 and ends the job. Transient failures go
 * back to the queue with backoff (exhausted retries land in the dead-letter queue); input errors
 * fail the job at once.
 */
export async function handleExtraction(message: Message<unknown>, env: Env, config: Config): Promise<void> {
  const parsed = WorkMessage.safeParse(message.body);
  if (!parsed.success) {
    createLogger("consumer", config.LOG_LEVEL).error("malformed work message dropped", {
      message_id: message.id,
      issues: parsed.error.issues,
    });
    message.ack();
    return;
  }
  const work = parsed.data;
  let log = createLogger("consumer", config.LOG_LEVEL).with({
    request_id: work.request_id,
    job_id: work.job_id,
    user_id: work.user_id,
    delivery: message.attempts,
    kind: work.kind,
  });
  const coordinator = coordinatorFor(env, work.job_id);
  const claim = await coordinator.claim(message.id);
  if (!claim.ok) {
    // Finished or canceled: nothing to do. Busy: a duplicate delivery while a live consumer holds the
    // job; if that consumer dies, the coordinator's watchdog sends the work again.
    log.info("message acknowledged without work", {
      reason: claim.reason,
      status: claim.job?.status ?? null,
    });
    message.ack();
    return;
  }
  const { attempt } = claim;
  log = log.with({ attempt });
  log.info("job claimed");
  const started = Date.now();
  // Aborted when the job ends elsewhere (canceled) or this attempt was taken over: the runner sees the
  // disconnect and stops its engines. Checked on every report and every few seconds between reports.
  const stop = new AbortController();
  const stillOurs = setInterval(async () => {
    const job = await coordinator.get().catch(() => undefined);
    if (job && (job.status !== "processing" || job.attempts !== attempt)) stop.abort();
  }, LEASE_CHECK_MS);
  try {
    const source = await env.FILES.get(work.object_key);
    if (!source) throw new WorkError("internal_error", "the uploaded file is missing from storage", "permanent");
    const endpoint = await runnerEndpoint(env, config);
    const input = {
      body: source.body,
      mime: work.mime,
      language: work.options.language,
      requestId: work.request_id,
      signal: stop.signal,
    };
    const onProgress = async (event: RunnerProgress) => {
      log.debug(
        event.type,
        event.type === "progress" ? { stage: event.stage, done: event.done, total: event.total } : {},
      );
      const reported =
        event.type === "probe"
          ? await coordinator.report({ pages: event.pages, duration_s: event.duration_s }, attempt)
          : await coordinator.report(
              { progress: { done: event.done, total: event.total, unit: event.unit, stage: event.stage } },
              attempt,
            );
      if (!reported.ok) stop.abort();
    };
    const { result, pdf } =
      work.kind === "av" &&
      config.SPEECH_ENGINE === "workers-ai" &&
      env.AI &&
      (await isEnabled(env.DB, config.FLAGS_CACHE_SECONDS * 1000, "speech_workers_ai", work.user_id))
        ? { result: await transcribeWithWorkersAi(env.AI, endpoint, input, onProgress), pdf: null }
        : await runOnRunner(endpoint, { ...input, kind: work.kind }, onProgress);
    const current = await coordinator.get();
    if (current?.status !== "processing" || current.attempts !== attempt) {
      log.info("result discarded: the job ended meanwhile");
      message.ack();
      return;
    }
    await env.FILES.put(resultKey(work.job_id, attempt, "json"), JSON.stringify(result), {
      httpMetadata: { contentType: "application/json" },
    });
    if (pdf) {
      await env.FILES.put(resultKey(work.job_id, attempt, "pdf"), pdf, {
        httpMetadata: { contentType: "application/pdf" },
      });
    }
    const done = await coordinator.transition("succeeded", { engineSeconds: (Date.now() - started) / 1000 }, attempt);
    if (!done.ok)
      await env.FILES.delete([resultKey(work.job_id, attempt, "json"), resultKey(work.job_id, attempt, "pdf")]);
    log.info(done.ok ? "job succeeded" : "result discarded: the job ended meanwhile", {
      duration_ms: Date.now() - started,
    });
    message.ack();
  } catch (err) {
    const current = await coordinator.get();
    if (stop.signal.aborted || !current || isTerminal(current.status) || current.attempts !== attempt) {
      log.info("work stopped: the job ended meanwhile", { status: current?.status ?? null });
      message.ack();
      return;
    }
    const failure =
      err instanceof WorkError
        ? err
        : // Not raised by our own checks: a platform call failed (D1, R2, the coordinator). Worth a retry.
          new WorkError("internal_error", err instanceof Error ? err.message : String(err), "transient");
    const engineSeconds = (Date.now() - started) / 1000;
    const decision = decideRetry(
      failure,
      { delivery: message.attempts, engineSeconds: current.engine_seconds + engineSeconds },
      config.RETRY_POLICY,
      // Each operator replay grants the job a fresh budget (the attempt budget is the coordinator's).
      { maxEngineSeconds: config.JOB_MAX_ENGINE_SECONDS * (1 + current.replays) },
    );
    const failed = { error_code: failure.code, error_class: failure.errorClass, error: failure.message };
    if (decision.action === "retry") {
      await coordinator.transition(
        "queued",
        {
          error: { code: failure.code, message: failure.message },
          engineSeconds,
          // A busy runner or model is back-pressure, not a failed try: it costs no attempt budget.
          freeAttempt: failure.errorClass === "rate_limited",
        },
        attempt,
      );
      log.warn("job will be retried", { ...failed, delay_s: decision.delaySeconds });
      message.retry({ delaySeconds: decision.delaySeconds });
      return;
    }
    const error: JobError =
      decision.reason === "not_retryable"
        ? { code: failure.code, message: failure.message }
        : {
            code: decision.reason,
            message: `${decision.reason === "budget_exceeded" ? "out of budget" : "out of retries"} after ${current.attempts} attempts; last error: ${failure.code}: ${failure.message}`,
          };
    await coordinator.transition("failed", { error, engineSeconds }, attempt);
    log.info("job failed", { ...failed, reason: decision.reason });
    message.ack();
  } finally {
    clearInterval(stillOurs);
  }
}
