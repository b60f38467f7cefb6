import type { AvSegment } from "./results";

type AvWord = AvSegment["words"][number];
/** A recognized word, with who said it when the engine knows (diarization, a split channel). */
export type SpokenWord = AvWord & { speaker?: string; channel?: number };

/**
 * The one way speakers are named: `Speaker N` from 1 for a channel heard on its own (`channels: "split"`)
 * or a speaker an engine told apart (`diarize`), `Channel C, Speaker N` with both.
 */
export function speakerLabel({
  channel,
  speaker,
}: {
  channel?: number | undefined;
  speaker?: number | undefined;
}): string | undefined {
  if (channel !== undefined && speaker !== undefined) return `Channel ${channel + 1}, Speaker ${speaker + 1}`;
  if (channel !== undefined) return `Speaker ${channel + 1}`;
  return speaker === undefined ? undefined : `Speaker ${speaker + 1}`;
}

/** A segment longer than this is split again (at its best pause or sentence end near its middle). */
export const SEGMENT_TARGET_SECONDS = 12;
/** A pause at least this long always ends a segment. */
export const SEGMENT_PAUSE_SECONDS = 1;

const SENTENCE_END = /[.!?…。！？]["'”’)\]]*$/;
const CLAUSE_END = /[,;:，、；：]["'”’)\]]*$/;

/**
 * Segments a person reads, from recognized words in time order: a new segment at every change of
 * speaker or channel and at every pause of at least `SEGMENT_PAUSE_SECONDS`; a stretch still longer
 * than `SEGMENT_TARGET_SECONDS` is split in two at its best boundary (a long pause, a sentence or
 * clause end) within its middle half, again until every part fits. Engines' own utterances and the
 * processing chunks do not matter: the same words give the same segments.
 * `separator` joins words into text (`""` for languages written without spaces).
 */
export function segmentWords(words: readonly SpokenWord[], separator = " "): AvSegment[] {
  // Channels are heard at once, so their words interleave in time: each channel is segmented on its own.
  const channels = new Map<number | undefined, SpokenWord[]>();
  for (const word of words) {
    const channel = channels.get(word.channel);
    if (channel) channel.push(word);
    else channels.set(word.channel, [word]);
  }
  return [...channels.values()]
    .flatMap((channel) => runsOf(channel).flatMap((run) => split(run)))
    .map((piece) => toSegment(piece, separator))
    .sort((a, b) => a.start - b.start || (a.channel ?? 0) - (b.channel ?? 0));
}

/** Words split at every change of speaker and every long pause. */
function runsOf(words: readonly SpokenWord[]): SpokenWord[][] {
  const runs: SpokenWord[][] = [];
  let run: SpokenWord[] = [];
  for (const word of words) {
    const last = run.at(-1);
    if (last && (word.speaker !== last.speaker || word.start - last.end >= SEGMENT_PAUSE_SECONDS)) {
      runs.push(run);
      run = [];
    }
    run.push(word);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function split(words: SpokenWord[]): SpokenWord[][] {
  const first = words[0];
  const last = words.at(-1);
  if (!first || !last || words.length < 2 || last.end - first.start <= SEGMENT_TARGET_SECONDS) return [words];
  const span = last.end - first.start;
  const from = first.start + span / 4;
  const to = first.start + (span * 3) / 4;
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < words.length - 1; i++) {
    const word = words[i] as SpokenWord;
    const next = words[i + 1] as SpokenWord;
    if (word.end < from || word.end > to) continue;
    const score =
      (next.start - word.end) * 2 +
      (SENTENCE_END.test(word.text) ? 1 : CLAUSE_END.test(word.text) ? 0.4 : 0) -
      // Between equal boundaries, the one nearer the middle keeps both halves readable.
      Math.abs(word.end - (first.start + span / 2)) / span;
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  // No word ends in the middle half (a few very long words): cut after the word nearest the middle.
  if (best < 0) {
    best = words.findIndex((word) => word.end >= first.start + span / 2);
    if (best < 0 || best === words.length - 1) best = Math.max(0, words.length - 2);
  }
  return [...split(words.slice(0, best + 1)), ...split(words.slice(best + 1))];
}

function toSegment(words: SpokenWord[], separator: string): AvSegment {
  const first = words[0] as SpokenWord;
  const last = words.at(-1) as SpokenWord;
  return {
    start: first.start,
    end: last.end,
    text: words.map((word) => word.text).join(separator),
    words: words.map(({ text, start, end, confidence }) => ({ text, start, end, confidence })),
    ...(first.speaker === undefined ? {} : { speaker: first.speaker }),
    ...(first.channel === undefined ? {} : { channel: first.channel }),
  };
}

/** The words of segments, each with its segment's speaker and channel: what `segmentWords` takes. */
export function wordsOf(segments: readonly AvSegment[]): SpokenWord[] {
  return segments.flatMap((segment) =>
    segment.words.map((word) => ({
      ...word,
      ...(segment.speaker === undefined ? {} : { speaker: segment.speaker }),
      ...(segment.channel === undefined ? {} : { channel: segment.channel }),
    })),
  );
}
