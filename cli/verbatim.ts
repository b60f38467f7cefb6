import { constants, openAsBlob } from "node:fs";
import { access, writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { Presets, SingleBar } from "cli-progress";
import { ApiError, createVerbatimClient, type Job, type SubmitOptions } from "../client";

const USAGE = `usage: npm run verbatim -- <command> [options]

  submit FILE [--wait] [--format F] [--out PATH] [--language L] [--pages P] [--no-rotate-pages]
         [--no-deskew] [--engine E] [--vocabulary TERM]... [--translate] [--diarize]
         [--split-channels] [--idempotency-key K]
        upload FILE; with --wait, follow it to the end (progress on stderr) and print the job,
        or its result in format F (txt, json, md, pdf, srt, vtt) to stdout or PATH. L is a
        language code (GET /v1/languages), or auto to find it. OCR reads only pages P
        when given (e.g. 1-3,7), and turns pages upright and straightens them unless
        --no-rotate-pages / --no-deskew. A recording is heard by speech engine E (auto, or one
        GET /v1/languages lists), listening for each --vocabulary TERM, translated to English
        (--translate), with speakers labelled (--diarize), or each channel as its own speaker
        (--split-channels)
  status JOB_ID                      print the job
  result JOB_ID --format F [--out PATH]

Environment: VERBATIM_URL (default http://127.0.0.1:8787), VERBATIM_API_KEY (an API key or a
session token), VERBATIM_MULTIPART_BYTES (files larger than this, default 90 MiB, are uploaded in
parts).
Exit codes: 0 done; 1 the API refused or failed a request; 2 bad usage; 3 the job failed or was
canceled (its error code on stderr).`;

const FORMATS = ["txt", "json", "md", "pdf", "srt", "vtt"] as const;
type Format = (typeof FORMATS)[number];

function exit(code: 0 | 1 | 2 | 3, message?: string): never {
  if (message) console.error(message);
  process.exit(code);
}

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        wait: { type: "boolean", default: false },
        format: { type: "string" },
        out: { type: "string" },
        language: { type: "string" },
        pages: { type: "string" },
        "no-rotate-pages": { type: "boolean", default: false },
        "no-deskew": { type: "boolean", default: false },
        engine: { type: "string" },
        vocabulary: { type: "string", multiple: true },
        translate: { type: "boolean", default: false },
        diarize: { type: "boolean", default: false },
        "split-channels": { type: "boolean", default: false },
        "idempotency-key": { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
  } catch (err) {
    exit(2, `${(err as Error).message}\n\n${USAGE}`);
  }
})();
const [command, target] = positionals;
if (values.help) exit(0, USAGE);
if (!command || !target || !["submit", "status", "result"].includes(command)) exit(2, USAGE);
const format = values.format as Format | undefined;
if (format && !FORMATS.includes(format)) exit(2, `--format must be one of ${FORMATS.join(", ")}`);
if (command === "result" && !format) exit(2, "result needs --format");
if (command === "submit" && format && !values.wait) exit(2, "--format needs --wait (or use: result JOB_ID --format F)");
const token = process.env.VERBATIM_API_KEY;
if (!token) exit(2, "set VERBATIM_API_KEY to an API key (npm run keys:create -- --email …)");
const client = createVerbatimClient({ baseUrl: process.env.VERBATIM_URL ?? "http://127.0.0.1:8787", token });
/** Progress bars on a terminal; plain lines (for logs and scripts) otherwise. */
const interactive = Boolean(process.stderr.isTTY);

async function output(job: Job): Promise<void> {
  if (!format) {
    console.log(JSON.stringify(job, null, 2));
    return;
  }
  const bytes = await client.result(job.id, format);
  if (values.out) await writeFile(values.out, bytes);
  else process.stdout.write(bytes);
}

async function follow(job: Job): Promise<Job> {
  const bar = interactive
    ? new SingleBar({ format: "{stage} [{bar}] {value}/{total} {unit}" }, Presets.shades_classic)
    : null;
  let started = false;
  let lastStatus = job.status;
  const ended = await client.follow(job.id, ({ job: now }) => {
    if (now.status !== lastStatus) {
      lastStatus = now.status;
      if (!interactive) console.error(`status ${now.status}`);
    }
    const p = now.progress;
    if (!p) return;
    if (bar) {
      if (!started) bar.start(p.total, p.done, { stage: p.stage, unit: p.unit });
      started = true;
      bar.setTotal(p.total);
      bar.update(p.done, { stage: p.stage, unit: p.unit });
    } else console.error(`progress ${p.done}/${p.total} ${p.unit} (${p.stage})`);
  });
  bar?.stop();
  return ended;
}

try {
  if (command === "submit") {
    const readable = await access(target, constants.R_OK).then(
      () => true,
      () => false,
    );
    if (!readable) exit(2, `cannot read ${target}`);
    const file = await openAsBlob(target);
    const upload = interactive
      ? new SingleBar({ format: "upload [{bar}] {percentage}% {value}/{total} bytes" }, Presets.shades_classic)
      : null;
    upload?.start(file.size, 0);
    // Files larger than one request should carry go up in parts.
    const inParts = file.size > Number(process.env.VERBATIM_MULTIPART_BYTES ?? 90 * 1024 * 1024);
    const job = await (inParts ? client.submitInParts : client.submit)(file, basename(target), {
      ...(values.language ? { language: values.language } : {}),
      ...(values.pages ? { pages: values.pages } : {}),
      ...(values["no-rotate-pages"] ? { rotatePages: false } : {}),
      ...(values["no-deskew"] ? { deskew: false } : {}),
      ...(values.engine ? { engine: values.engine as SubmitOptions["engine"] } : {}),
      ...(values.vocabulary ? { vocabulary: values.vocabulary } : {}),
      ...(values.translate ? { translate: true } : {}),
      ...(values.diarize ? { diarize: true } : {}),
      ...(values["split-channels"] ? { channels: "split" as const } : {}),
      ...(values["idempotency-key"] ? { idempotencyKey: values["idempotency-key"] } : {}),
      onUpload: (sent) => upload?.update(sent),
    });
    upload?.stop();
    if (!interactive) console.error(`submitted ${job.id} (${job.kind}), request ${job.request_id}`);
    if (!values.wait) {
      console.log(JSON.stringify(job, null, 2));
      exit(0);
    }
    const ended = await follow(job);
    if (ended.status !== "succeeded") {
      exit(3, `job ${ended.id} ${ended.status}${ended.error ? `: ${ended.error.code}: ${ended.error.message}` : ""}`);
    }
    await output(ended);
  } else if (command === "status") {
    console.log(JSON.stringify(await client.job(target), null, 2));
  } else {
    await output(await client.job(target));
  }
} catch (err) {
  if (err instanceof ApiError) exit(1, err.message);
  exit(1, `request failed: ${(err as Error).message}`);
}
