import { type AvResult, describeRange, type OcrResult, type PartFailure } from "../../contracts";
import { type FixedCue, srtSubtitles, vttSubtitles } from "../../contracts/subtitles";

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

/**
 * One line per segment; when speakers are known, a paragraph per turn instead, starting with who
 * speaks ("Speaker 1: …"), and a new one at each change of speaker.
 */
export function transcriptText(result: AvResult): string {
  if (!result.segments.some((s) => s.speaker)) {
    const lines = result.segments.map((s) => ({ at: s.start, text: s.text }));
    return `${withGaps(lines, result.failed_parts).join("\n")}\n`;
  }
  const paragraphs: string[] = [];
  // The speaker of the last paragraph, while a segment can continue it (not after a gap marker).
  let open: { speaker: string | undefined } | null = null;
  const items = [
    ...result.segments.map((s) => ({ at: s.start, text: s.text.trim(), speaker: s.speaker, gap: false })),
    ...(result.failed_parts ?? []).map((f) => ({ at: gapAt(f), text: gapLine(f), speaker: undefined, gap: true })),
  ].sort((a, b) => a.at - b.at);
  for (const item of items) {
    if (item.text === "") continue;
    if (!item.gap && open && open.speaker === item.speaker) {
      paragraphs[paragraphs.length - 1] += ` ${item.text}`;
      continue;
    }
    paragraphs.push(item.speaker && !item.gap ? `${item.speaker}: ${item.text}` : item.text);
    open = item.gap ? null : { speaker: item.speaker };
  }
  return `${paragraphs.join("\n\n")}\n`;
}

/** A cue over each span of a part that failed for good, saying so while it plays. */
const gapCues = (result: AvResult): FixedCue[] =>
  (result.failed_parts ?? []).flatMap((failure) =>
    failure.range.unit === "seconds"
      ? [{ start: failure.range.start, end: failure.range.end, text: gapLine(failure) }]
      : [],
  );

/** Subtitles by the rules in contracts/subtitles.ts, with the speaker's name where it changes. */
export const toSrt = (result: AvResult): string =>
  srtSubtitles(result.segments, { fixed: gapCues(result), mediaEnd: result.duration_s });

/** WebVTT subtitles by the same rules, each cue of a known speaker in a voice span. */
export const toVtt = (result: AvResult): string =>
  vttSubtitles(result.segments, { fixed: gapCues(result), mediaEnd: result.duration_s });
