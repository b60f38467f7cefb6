import {
  describeRange,
  type ExtractionResult,
  ExtractionResult as ExtractionResultSchema,
  isTerminal,
  type Job,
  type Logger,
  type PartFailure,
  type PartRange,
  type PdfMergeLayout,
  parsePageSelection,
  runsWithin,
  type WorkMessage,
  type WorkStep,
} from "../contracts";
import { partResultKey, resultKey } from "../contracts/storage";
import type { Config } from "../worker/config";
import { mergePdfsOnRunner } from "../worker/runner/runner-client";
import { runnerEndpoint } from "../worker/runner/runner-endpoint";
import { coordinatorFor } from "../worker/services/coordinator";
import { enqueueWork } from "../worker/services/work-queue";
import {
  asWorkError,
  extract,
  failureError,
  failureFields,
  judgeFailure,
  retryDecision,
  sourceInput,
  watchLease,
} from "./attempt";
import { mergeParts } from "./merge-parts";

/**
 * Fan-out: a large job's attempt is split into parts (see contracts/parts.ts). Each part is a queue
 * message of its own, claimed in the job's coordinator, run on any runner instance and retried
 * alone; its results wait in R2. When the last part settles, the coordinator queues the merge,
 * which puts the results together in order and ends the job. A part that fails for good is named
 * in the job's `parts.failed` and in the results; the job fails only if every part did.
 */

/** Queues one message per part of the attempt. */
export async function sendParts(
  env: Env,
  config: Config,
  job: Job,
  attempt: number,
  ranges: readonly PartRange[],
): Promise<void> {
  await enqueueWork(
    env,
    config,
    job,
    ranges.map((range, index) => ({ step: "part", attempt, index, range })),
  );
}

type PartStep = Extract<WorkStep, { step: "part" }>;
type MergeStep = Extract<WorkStep, { step: "merge" }>;

/** The most bytes of part PDFs and original document that a merge sends along with the original. */
const MAX_MERGE_WITH_SOURCE_BYTES = 32 * 1024 * 1024;

/** The runner's query for one part: pages of a document, or a span of a recording. */
const partQuery = (range: PartRange): Record<string, string> =>
  range.unit === "pages"
    ? { first_page: String(range.first), last_page: String(range.last) }
    : { start_s: String(range.start), end_s: String(range.end) };

export async function handlePart(
  message: Message<unknown>,
  work: WorkMessage,
  step: PartStep,
  env: Env,
  config: Config,
  base: Logger,
): Promise<void> {
  const { attempt, index } = step;
  const log = base.with({ attempt, part: index, stage: "part" });
  const coordinator = coordinatorFor(env, work.job_id);
  const claim = await coordinator.claimPart(attempt, index, message.id);
  if (!claim.ok) {
    // Settled (a duplicate delivery), busy (another live delivery has it), or the job moved on.
    log.info("message acknowledged without work", { reason: claim.reason, status: claim.job?.status ?? null });
    message.ack();
    return;
  }
  log.info("part claimed", { range: describeRange(step.range) });
  const started = Date.now();
  const lease = watchLease(coordinator, attempt);
  const failureContext = { coordinator, attempt, lease, startedAt: started, message, config, log };
  try {
    const endpoint = await runnerEndpoint(env, config);
    const input = await sourceInput(env, work, lease.signal, partQuery(step.range));
    const { result, pdf } = await extract(env, config, work, endpoint, input, async (event) => {
      if (event.type !== "progress") return;
      const reported = await coordinator.reportPart(
        attempt,
        index,
        message.id,
        event.unit === "chunks" ? 0 : event.done,
      );
      if (!reported.ok) lease.abort();
    });
    await env.FILES.put(partResultKey(work.job_id, attempt, index, "json"), JSON.stringify(result), {
      httpMetadata: { contentType: "application/json" },
    });
    if (pdf) {
      await env.FILES.put(partResultKey(work.job_id, attempt, index, "pdf"), pdf, {
        httpMetadata: { contentType: "application/pdf" },
      });
    }
    const engineSeconds = (Date.now() - started) / 1000;
    const settled = await coordinator.settlePart(attempt, index, message.id, { engineSeconds });
    if (!settled.ok && (!settled.job || isTerminal(settled.job.status))) {
      // The job ended or was deleted meanwhile: nothing will read these (a part taken over within
      // the attempt is written to the same keys by its new holder, so those stay).
      await env.FILES.delete([
        partResultKey(work.job_id, attempt, index, "json"),
        partResultKey(work.job_id, attempt, index, "pdf"),
      ]);
    }
    log.info(settled.ok ? "part done" : "part result not needed: settled or taken over meanwhile", {
      duration_ms: Date.now() - started,
      ...(settled.ok ? { last: settled.complete } : {}),
    });
    message.ack();
  } catch (err) {
    const judged = await judgeFailure(err, failureContext, "part stopped: the job ended meanwhile");
    if (!judged) return;
    const { failure, engineSeconds, decision, fields: failed } = judged;
    if (decision.action === "retry") {
      // Only this part goes back to the queue; the others keep running or stay done.
      await coordinator.releasePart(attempt, index, message.id, {
        error: { code: failure.code, message: failure.message },
        engineSeconds,
      });
      log.warn("part will be retried", { ...failed, delay_s: decision.delaySeconds });
      message.retry({ delaySeconds: decision.delaySeconds });
      return;
    }
    const error = failureError(decision, failure, message.attempts);
    await coordinator.settlePart(attempt, index, message.id, { error, engineSeconds });
    log.warn("part failed", { ...failed, reason: decision.reason });
    message.ack();
  } finally {
    lease.stop();
  }
}

export async function handleMerge(
  message: Message<unknown>,
  work: WorkMessage,
  step: MergeStep,
  env: Env,
  config: Config,
  base: Logger,
): Promise<void> {
  const { attempt } = step;
  const log = base.with({ attempt, stage: "merge" });
  const coordinator = coordinatorFor(env, work.job_id);
  const job = await coordinator.get();
  const parts = await coordinator.partsOf(attempt);
  if (job?.status !== "processing" || job.attempts !== attempt || !parts) {
    log.info("merge not needed: the job ended or moved on", { status: job?.status ?? null });
    message.ack();
    return;
  }
  if (parts.some((part) => part.state === "pending")) {
    // The last part to settle queues the merge again.
    log.info("merge early: parts still running");
    message.ack();
    return;
  }
  const started = Date.now();
  const failed: PartFailure[] = parts.flatMap((part, index) =>
    part.state === "failed" && part.error ? [{ part: index, range: part.range, ...part.error }] : [],
  );
  try {
    const done = parts.flatMap((part, index) => (part.state === "done" ? [index] : []));
    if (done.length === 0) {
      const [first] = failed;
      const detail = first ? `; first: ${describeRange(first.range)}: ${first.code}: ${first.message}` : "";
      const error = {
        code: first?.code ?? "internal_error",
        message: `all ${parts.length} parts failed${detail}`,
      };
      await coordinator.transition("failed", { error }, attempt);
      log.info("job failed: every part failed", { error_code: error.code });
      message.ack();
      return;
    }
    const results: ExtractionResult[] = await Promise.all(
      done.map(async (index) =>
        ExtractionResultSchema.parse(await readJson(env, partResultKey(job.id, attempt, index, "json"))),
      ),
    );
    const merged = mergeParts(results, failed, job.file.duration_s);
    if (job.kind === "ocr") {
      const pdfs = await Promise.all(done.map((index) => readBytes(env, partResultKey(job.id, attempt, index, "pdf"))));
      const pdf = await mergePdfsOnRunner(
        await runnerEndpoint(env, config),
        pdfs,
        work.request_id,
        await withOriginalPages(env, work, parts, done, pdfs),
      );
      await env.FILES.put(resultKey(job.id, attempt, "pdf"), pdf, { httpMetadata: { contentType: "application/pdf" } });
    }
    await env.FILES.put(resultKey(job.id, attempt, "json"), JSON.stringify(merged), {
      httpMetadata: { contentType: "application/json" },
    });
    const ended = await coordinator.transition("succeeded", {}, attempt);
    if (!ended.ok && ended.job?.status !== "succeeded") {
      // Canceled or deleted meanwhile (a redelivered merge that succeeded first wrote the same keys).
      await env.FILES.delete([resultKey(job.id, attempt, "json"), resultKey(job.id, attempt, "pdf")]);
    }
    if (ended.ok) {
      // The merged results hold everything the parts had.
      await env.FILES.delete(
        parts.flatMap((_, index) => [
          partResultKey(job.id, attempt, index, "json"),
          partResultKey(job.id, attempt, index, "pdf"),
        ]),
      );
    }
    log.info(ended.ok ? "job succeeded" : "merge not needed: the job ended meanwhile", {
      duration_ms: Date.now() - started,
      parts: parts.length,
      failed_parts: failed.length,
    });
    message.ack();
  } catch (err) {
    const failure = asWorkError(err);
    const decision = retryDecision(failure, message, job, 0, config);
    const failedLog = failureFields(failure);
    if (decision.action === "retry") {
      log.warn("merge will be retried", { ...failedLog, delay_s: decision.delaySeconds });
      message.retry({ delaySeconds: decision.delaySeconds });
      return;
    }
    await coordinator.transition("failed", { error: failureError(decision, failure, message.attempts) }, attempt);
    log.info("job failed in merge", { ...failedLog, reason: decision.reason });
    message.ack();
  }
}

async function readJson(env: Env, key: string): Promise<unknown> {
  const object = await env.FILES.get(key);
  if (!object) throw new Error(`${key} is missing from storage`);
  return object.json();
}

/**
 * Where parts of a PDF failed, the merged PDF keeps the original pages (without a text layer), so it
 * has every page of the document in place. The original is sent along only while it and the parts
 * come to at most MAX_MERGE_WITH_SOURCE_BYTES, as the Worker holds them all; past that, and for other
 * documents (TIFF), the PDF holds the succeeded parts' pages only.
 */
async function withOriginalPages(
  env: Env,
  work: WorkMessage,
  parts: readonly { state: string; range: PartRange }[],
  done: readonly number[],
  pdfs: readonly Uint8Array[],
): Promise<{ layout: PdfMergeLayout; source: Uint8Array } | undefined> {
  if (done.length === parts.length || work.mime !== "application/pdf") return undefined;
  const head = await env.FILES.head(work.object_key);
  const partBytes = pdfs.reduce((sum, pdf) => sum + pdf.byteLength, 0);
  if (!head || head.size + partBytes > MAX_MERGE_WITH_SOURCE_BYTES) return undefined;
  const selection = parsePageSelection(work.options.pages ?? "");
  const layout = parts.flatMap((part, index): PdfMergeLayout => {
    if (part.state === "done") return [{ file: done.indexOf(index) }];
    if (part.range.unit !== "pages") return [];
    // The part's own pages: its range, or the pages of `options.pages` within it.
    const runs = selection ? runsWithin(selection, part.range) : [part.range];
    return runs.map(({ first, last }) => ({ source: [first, last] as [number, number] }));
  });
  return { layout, source: await readBytes(env, work.object_key) };
}

async function readBytes(env: Env, key: string): Promise<Uint8Array> {
  const object = await env.FILES.get(key);
  if (!object) throw new Error(`${key} is missing from storage`);
  return new Uint8Array(await object.arrayBuffer());
}
