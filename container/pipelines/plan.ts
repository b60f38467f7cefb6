import type { PartRange } from "../../contracts/parts";
import type { RunnerEvent } from "../../contracts/runner";
import { ffmpeg } from "../engines/ffmpeg";
import { decoding, mediaNoContent } from "./failures";
import type { Job } from "./job";
import { isOcrMediaType } from "./media-types";
import { type OcrDeps, planDocument } from "./ocr";
import { prepareSpeech } from "./transcribe";

export interface PlanOptions extends OcrDeps {
  pagesPerPart: number;
  secondsPerPart: number;
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
  { pagesPerPart, secondsPerPart, ...ocr }: PlanOptions,
): Promise<Extract<RunnerEvent, { type: "plan" }>> {
  if (isOcrMediaType(mediaType)) {
    const { pageCount } = await planDocument(job, mediaType, ocr);
    return { type: "plan", pages: pageCount, duration_s: null, parts: pageParts(pageCount, pagesPerPart) };
  }
  const toMs = (seconds: number) => Math.round(seconds * 1000) / 1000;
  // A recording its header says fits one part is not decoded here: the job decodes it once, itself.
  const probe = await decoding("The file could not be read", ffmpeg.probe(job.run, job.inputPath, job.mediaType));
  if (!probe.hasAudio) throw mediaNoContent("The file has no audio stream");
  if (probe.durationS !== null && probe.durationS <= secondsPerPart) {
    const durationS = toMs(probe.durationS);
    return { type: "plan", pages: null, duration_s: durationS, parts: [{ unit: "seconds", start: 0, end: durationS }] };
  }
  const { durationS, chunks } = await prepareSpeech(job, secondsPerPart);
  return {
    type: "plan",
    pages: null,
    duration_s: toMs(durationS),
    parts: chunks.map((chunk): PartRange => ({ unit: "seconds", start: toMs(chunk.start), end: toMs(chunk.end) })),
  };
}

/** Pages 1..`pageCount` in consecutive runs of `perPart` (the last one shorter). */
export function pageParts(pageCount: number, perPart: number): PartRange[] {
  const parts: PartRange[] = [];
  for (let first = 1; first <= pageCount; first += perPart) {
    parts.push({ unit: "pages", first, last: Math.min(pageCount, first + perPart - 1) });
  }
  return parts;
}
