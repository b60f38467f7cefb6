import { type AvResult, type AvSegment, describeRange, type OcrResult, type PartFailure } from "../../contracts";

/** Where a part that failed for good would have been: a marker line, so the gap is seen in plain text. */
const gapLine = (failure: PartFailure) => `[${describeRange(failure.range)} not extracted: ${failure.code}]`;
const gapAt = (failure: PartFailure) => (failure.range.unit === "pages" ? failure.range.first : failure.range.start);

/** Lines at their place in the document (page number or time), with gap markers among them. */
export function withGaps(lines: { at: number; text: string }[], failed: readonly PartFailure[] = []): string[] {
  const gaps = failed.map((failure) => ({ at: gapAt(failure), text: gapLine(failure) }));
  return [...lines, ...gaps].sort((a, b) => a.at - b.at).map((line) => line.text);
}

export function ocrText(result: OcrResult): string {
  const pages = result.pages.map((p) => ({ at: p.page, text: p.text.trimEnd() }));
  return `${withGaps(pages, result.failed_parts).join("\n\n")}\n`;
}

export function transcriptText(result: AvResult): string {
  const lines = result.segments.map((s) => ({ at: s.start, text: s.text }));
  return `${withGaps(lines, result.failed_parts).join("\n")}\n`;
}

type Cue = { start: number; end: number; text: string };

/**
 * Subtitle cues: a segment longer than a comfortable reading unit is split at word boundaries
 * (by the engine's word timings) into cues of at most `maxChars` characters and `maxSeconds`.
 */
export function toCues(segments: AvSegment[], maxChars = 84, maxSeconds = 6): Cue[] {
  const cues: Cue[] = [];
  for (const segment of segments) {
    if (segment.words.length === 0) {
      if (segment.text) cues.push({ start: segment.start, end: segment.end, text: segment.text });
      continue;
    }
    let current = null as Cue | null;
    for (const word of segment.words) {
      if (current && (current.text.length + 1 + word.text.length > maxChars || word.end - current.start > maxSeconds)) {
        cues.push(current);
        current = null;
      }
      current = current
        ? { ...current, end: word.end, text: `${current.text} ${word.text}` }
        : { start: word.start, end: word.end, text: word.text };
    }
    if (current) cues.push(current);
  }
  return cues;
}

function timestamp(seconds: number, separator: "," | "."): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`;
}

/** The cues, with one over each span of a part that failed for good, saying so while it plays. */
function cuesWithGaps(result: AvResult): Cue[] {
  const gaps = (result.failed_parts ?? []).flatMap((failure) =>
    failure.range.unit === "seconds"
      ? [{ start: failure.range.start, end: failure.range.end, text: gapLine(failure) }]
      : [],
  );
  return [...toCues(result.segments), ...gaps].sort((a, b) => a.start - b.start);
}

export function toSrt(result: AvResult): string {
  return cuesWithGaps(result)
    .map((cue, i) => `${i + 1}\n${timestamp(cue.start, ",")} --> ${timestamp(cue.end, ",")}\n${cue.text}\n`)
    .join("\n");
}

export function toVtt(result: AvResult): string {
  const body = cuesWithGaps(result)
    .map((cue) => `${timestamp(cue.start, ".")} --> ${timestamp(cue.end, ".")}\n${cue.text}\n`)
    .join("\n");
  return `WEBVTT\n\n${body}`;
}
