import { type PageRun, pagesOf } from "../../contracts/page-selection";
import type { PartRange } from "../../contracts/parts";
import type { RunnerEvent } from "../../contracts/runner";
import { ffmpeg } from "../engines/ffmpeg";
import { decoding, mediaNoContent } from "./failures";
import type { Job } from "./job";
import { isOcrMediaType } from "./media-types";
import { checkedSelection, type OcrDeps, planDocument } from "./ocr";
import { prepareSpeech } from "./transcribe";

export interface PlanOptions extends OcrDeps {
  pagesPerPart: number;
  secondsPerPart: number;
  /** `options.pages`: only these pages of a document are read, counted and split. */
  selection?: readonly PageRun[];
}

/**
 * How a file splits into parts for fan-out: documents into runs of `pagesPerPart` pages, recordings into
 * spans of about `secondsPerPart` seconds cut at pauses (as chunks are), so no word is split between parts.
 * A recording that fits one part is only probed, not decoded.
 */
export async function planParts(
  job: Job,
  /** An OCR or audio/video media type (checked by the route). */
  mediaType: string,
  { pagesPerPart, secondsPerPart, selection, ...ocr }: PlanOptions,
): Promise<Extract<RunnerEvent, { type: "plan" }>> {
  if (isOcrMediaType(mediaType)) {
    const { pageCount } = await planDocument(job, mediaType, ocr);
    const pages = pagesOf(checkedSelection(selection, pageCount));
    return { type: "plan", pages: pages.length, duration_s: null, parts: pageParts(pages, pagesPerPart) };
  }
  const toMs = (seconds: number) => Math.round(seconds * 1000) / 1000;
  // A recording its header says fits one part is not decoded here: the job decodes it once, itself.
  const probe = await decoding("The file could not be read", ffmpeg.probe(job.run, job.inputPath, job.mediaType));
  if (!probe.hasAudio) throw mediaNoContent("The file has no audio stream");
  if (probe.durationS !== null && probe.durationS <= secondsPerPart) {
    const durationS = toMs(probe.durationS);
    return { type: "plan", pages: null, duration_s: durationS, parts: [{ unit: "seconds", start: 0, end: durationS }] };
  }
  const { durationS, tracks } = await prepareSpeech(job, secondsPerPart);
  const chunks = tracks[0]?.chunks ?? [];
  return {
    type: "plan",
    pages: null,
    duration_s: toMs(durationS),
    parts: chunks.map((chunk): PartRange => ({ unit: "seconds", start: toMs(chunk.start), end: toMs(chunk.end) })),
  };
}

/**
 * `pages` (in order) in runs of `perPart` (the last one shorter), each part the range from its first
 * to its last page: a part reads the pages of the selection within its range.
 */
export function pageParts(pages: readonly number[], perPart: number): PartRange[] {
  const parts: PartRange[] = [];
  for (let at = 0; at < pages.length; at += perPart) {
    const group = pages.slice(at, at + perPart);
    parts.push({ unit: "pages", first: group[0] as number, last: group.at(-1) as number });
  }
  return parts;
}
