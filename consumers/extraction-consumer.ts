import { createLogger, type Job, type Logger, WorkMessage } from "../contracts";
import { resultKey } from "../contracts/storage";
import type { Config } from "../worker/config";
import { planOnRunner, type RunnerProgress, WorkError } from "../worker/runner/runner-client";
import { runnerEndpoint } from "../worker/runner/runner-endpoint";
import { coordinatorFor } from "../worker/services/coordinator";
import { flagReader } from "../worker/services/flags";
import { sizeRefusal } from "../worker/services/quotas";
import { extract, failureError, judgeFailure, sourceInput, watchLease } from "./attempt";
import { handleMerge, handlePart, sendParts } from "./fan-out";

/** Types whose files may hold many pages; a single image never needs splitting. */
const MULTI_PAGE_TYPES = ["application/pdf", "image/tiff"];

/**
 * Runs one work message: a whole job, or (see fan-out.ts) one part of a fanned-out job or its merge.
 * Transient failures go back to the queue with backoff (exhausted retries land in the dead-letter
 * queue); input errors fail the job at once.
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
  const log = createLogger("consumer", config.LOG_LEVEL).with({
    request_id: work.request_id,
    job_id: work.job_id,
    user_id: work.user_id,
    delivery: message.attempts,
    kind: work.kind,
  });
  if (work.fan_out?.step === "part") return handlePart(message, work, work.fan_out, env, config, log);
  if (work.fan_out?.step === "merge") return handleMerge(message, work, work.fan_out, env, config, log);
  return handleJob(message, work, env, config, log);
}

/**
 * A whole job: claims it in its coordinator, and either splits it into parts (large documents and
 * recordings, flag `fan_out`) or streams the source to the media runner, stores the results in R2
 * and ends the job.
 */
async function handleJob(message: Message<unknown>, work: WorkMessage, env: Env, config: Config, base: Logger) {
  const coordinator = coordinatorFor(env, work.job_id);
  const claim = await coordinator.claim(message.id);
  if (!claim.ok) {
    // Finished or canceled: nothing to do. Busy: a duplicate delivery while a live consumer holds the
    // job; if that consumer dies, the coordinator's watchdog sends the work again.
    base.info("message acknowledged without work", { reason: claim.reason, status: claim.job?.status ?? null });
    message.ack();
    return;
  }
  const { attempt } = claim;
  const log = base.with({ attempt });
  log.info("job claimed");
  const started = Date.now();
  const lease = watchLease(coordinator, attempt);
  const failureContext = { coordinator, attempt, lease, startedAt: started, message, config, log };
  const faults = config.FAULT_INJECTION;
  const hits = (fault?: { file_name: string; attempts: number }) =>
    fault?.file_name === claim.job.file.name && attempt <= fault.attempts;
  if (hits(faults.crash_consumer)) {
    // Drills only: dies before deciding, as a crashing isolate would; the queue delivers it again.
    lease.stop();
    throw new Error("consumer crashed (injected fault)");
  }
  if (hits(faults.stall_consumer)) {
    // Drills only: holds the job without a word until the watchdog takes it away.
    await new Promise((resolve) => lease.signal.addEventListener("abort", resolve, { once: true }));
    lease.stop();
    log.info("stalled consumer let go of the job (injected fault)");
    message.ack();
    return;
  }
  try {
    const endpoint = await runnerEndpoint(env, config);
    if (await mayFanOut(env, config, work)) {
      const plan = await planOnRunner(endpoint, await sourceInput(env, work, lease.signal), {
        pagesPerPart: config.FAN_OUT_PAGES,
        secondsPerPart: config.FAN_OUT_SECONDS,
      });
      await checkSize(env, config, claim.job, plan);
      await coordinator.report({ pages: plan.pages, duration_s: plan.duration_s }, attempt);
      if (plan.parts.length > 1) {
        const fanned = await coordinator.fanOut(attempt, plan.parts);
        if (fanned.ok && fanned.ranges) {
          await sendParts(env, config, fanned.job, attempt, fanned.ranges);
          log.info("job split into parts", { parts: fanned.ranges.length, duration_ms: Date.now() - started });
        } else log.info("parts not sent: the job ended meanwhile");
        message.ack();
        return;
      }
    }
    const onProgress = async (event: RunnerProgress) => {
      log.debug(
        event.type,
        event.type === "progress" ? { stage: event.stage, done: event.done, total: event.total } : {},
      );
      if (event.type === "probe") await checkSize(env, config, claim.job, event);
      const reported =
        event.type === "probe"
          ? await coordinator.report({ pages: event.pages, duration_s: event.duration_s }, attempt)
          : await coordinator.report(
              { progress: { done: event.done, total: event.total, unit: event.unit, stage: event.stage } },
              attempt,
            );
      if (!reported.ok) lease.abort();
    };
    const input = await sourceInput(env, work, lease.signal);
    const { result, pdf } = await extract(env, config, work, endpoint, input, onProgress);
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
    const judged = await judgeFailure(err, failureContext, "work stopped: the job ended meanwhile");
    if (!judged) return;
    const { failure, engineSeconds, decision, fields: failed, job: current } = judged;
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
    const error = failureError(decision, failure, current.attempts);
    await coordinator.transition("failed", { error, engineSeconds }, attempt);
    log.info("job failed", { ...failed, reason: decision.reason });
    message.ack();
  } finally {
    lease.stop();
  }
}

/**
 * Fails the attempt with `limit_exceeded` or `quota_exceeded` (input class: no retry) as soon as
 * the file's pages or duration are known to pass the user's limits; the runner is hung up on.
 */
async function checkSize(
  env: Env,
  config: Config,
  job: Job,
  size: { pages: number | null; duration_s: number | null },
): Promise<void> {
  const refusal = await sizeRefusal(env.DB, job, size, config.USER_LIMITS);
  if (refusal) throw new WorkError(refusal.code, refusal.message, "input");
}

/** Whether the job may be split: a document that can hold many pages, or a recording, with the flag on. */
async function mayFanOut(env: Env, config: Config, work: WorkMessage): Promise<boolean> {
  if (work.kind === "ocr" && !MULTI_PAGE_TYPES.includes(work.mime)) return false;
  return flagReader(env.DB, config).isEnabled("fan_out", work.user_id);
}
