import type { AvSegment } from "../../../contracts/results";
import { speakerLabel } from "../../../contracts/segments";
import { findMatches, MAX_MATCHES, type MatchRange, type TextPiece } from "../lib/text-search";

/**
 * The transcript as the Transcript tab shows it, word by word: which word is spoken at a time, each
 * segment's text cut into its words (so a word can be highlighted and clicked), search over the
 * segments, and who speaks when. Pure functions over the AvResult's segments, as `segmentAt`.
 */

type Timed = Pick<AvSegment, "start" | "end">;
type WithWords = { words: readonly Timed[] };

/** A word of the transcript: its segment's index and its index in that segment's `words`. */
export type WordRef = { segment: number; word: number };

/**
 * How many segments before the one that started last are looked at for a word still being spoken:
 * segments of different speakers (`channels: "split"`) may overlap, so an earlier, longer one may
 * hold the word. A bound, so that a lookup stays O(log n) whatever the transcript.
 */
const OVERLAP_LOOKBACK = 4;

/**
 * The word spoken at `time` (seconds): the one whose [start, end) holds it, or null between words
 * and outside the segments. Binary searches, as `segmentAt` (segments and their words are in order).
 */
export function wordAt(segments: readonly (Timed & WithWords)[], time: number): WordRef | null {
  const last = lastStartingBy(segments, time);
  for (let s = last; s >= 0 && s > last - OVERLAP_LOOKBACK; s--) {
    const words = segments[s]?.words ?? [];
    const w = lastStartingBy(words, time);
    const word = words[w];
    if (word && time < word.end) return { segment: s, word: w };
  }
  return null;
}

/** The index of the last item starting at or before `time`, or -1. */
function lastStartingBy(items: readonly Timed[], time: number): number {
  let low = 0;
  let high = items.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((items[mid]?.start ?? Number.POSITIVE_INFINITY) <= time) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** A run of a segment's text: one of its words (`word`, its index in `words`), or what lies between (-1). */
export type Token = { text: string; word: number };

/**
 * A segment's text cut into its words and what lies between them (spaces, punctuation the engine put
 * in the text but not in its words). Each word is looked for in the text after the one before; when
 * one is not there (an engine whose words and text differ), the words are shown joined by spaces
 * instead, so every word can still be clicked. A segment without words is its text alone.
 */
export function segmentTokens(segment: { text: string; words: readonly { text: string }[] }): Token[] {
  const { text, words } = segment;
  if (words.length === 0) return text === "" ? [] : [{ text, word: -1 }];
  const folded = text.toLowerCase();
  const tokens: Token[] = [];
  let at = 0;
  for (const [index, word] of words.entries()) {
    const wanted = word.text.trim();
    // Same length lowered (ASCII and most letters): offsets in `folded` are offsets in `text`.
    const found = wanted === "" ? -1 : folded.indexOf(wanted.toLowerCase(), at);
    if (found < 0 || wanted.toLowerCase().length !== wanted.length || folded.length !== text.length) {
      return joinedWords(words);
    }
    if (found > at) tokens.push({ text: text.slice(at, found), word: -1 });
    tokens.push({ text: text.slice(found, found + wanted.length), word: index });
    at = found + wanted.length;
  }
  if (at < text.length) tokens.push({ text: text.slice(at), word: -1 });
  return tokens;
}

function joinedWords(words: readonly { text: string }[]): Token[] {
  return words.flatMap((word, index): Token[] => [
    ...(index > 0 ? [{ text: " ", word: -1 }] : []),
    { text: word.text.trim(), word: index },
  ]);
}

/** The text a segment is shown with (its tokens joined): what search looks in. */
export const tokensText = (tokens: readonly Token[]): string => tokens.map((token) => token.text).join("");

/** A token cut at the search's matches (`match`: the match's index in the whole transcript, or -1). */
export type MarkedToken = { word: number; pieces: TextPiece[] };

/**
 * A segment's tokens cut where matches begin and end, so a match is marked inside the words it
 * covers (one that spans words is marked in each of them, and in the space between, under one index).
 * `ranges` are offsets into `tokensText(tokens)`, in order; `first` is the global index of the first.
 */
export function markTokens(tokens: readonly Token[], ranges: readonly MatchRange[], first = 0): MarkedToken[] {
  let at = 0;
  let r = 0;
  return tokens.map((token) => {
    const start = at;
    const end = at + token.text.length;
    at = end;
    const pieces: TextPiece[] = [];
    let cut = start;
    // Ranges ending before this token were used up by the ones before.
    while (r < ranges.length && (ranges[r]?.[1] ?? 0) <= start) r++;
    for (let i = r; i < ranges.length; i++) {
      const [from, to] = ranges[i] as MatchRange;
      if (from >= end) break;
      const a = Math.max(from, start);
      const b = Math.min(to, end);
      if (a > cut) pieces.push({ text: token.text.slice(cut - start, a - start), match: -1 });
      pieces.push({ text: token.text.slice(a - start, b - start), match: first + i });
      cut = b;
    }
    if (cut < end || pieces.length === 0) pieces.push({ text: token.text.slice(cut - start), match: -1 });
    return { word: token.word, pieces };
  });
}

/** The matches of a search over the transcript: per segment, and where each segment's first one counts from. */
export type TranscriptMatches = {
  /** Per segment, its matches as offsets into its shown text. */
  ranges: MatchRange[][];
  /** Per segment, the index (over the whole transcript) of its first match. */
  first: number[];
  total: number;
  /** More matched than MAX_MATCHES: only the first ones are marked. */
  capped: boolean;
};

/** Finds `query` in each segment's shown text (text-search's rules: literal, case-insensitive), in order. */
export function searchSegments(texts: readonly string[], query: string, limit = MAX_MATCHES): TranscriptMatches {
  const ranges: MatchRange[][] = [];
  const first: number[] = [];
  let total = 0;
  for (const text of texts) {
    first.push(total);
    const found = total < limit ? findMatches(text, query, limit - total) : [];
    ranges.push(found);
    total += found.length;
  }
  return { ranges, first, total, capped: query !== "" && total >= limit };
}

/** The segment that holds match `match` (an index over the whole transcript), or -1. */
export function segmentOfMatch(matches: TranscriptMatches, match: number): number {
  if (match < 0 || match >= matches.total) return -1;
  let low = 0;
  let high = matches.first.length - 1;
  let found = -1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if ((matches.first[mid] ?? Number.POSITIVE_INFINITY) <= match) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  // Segments without matches share their `first` with the next one that has some: the last of them holds it.
  return found;
}

/** How many colours speakers are told apart by (results.css: --speaker-0 … --speaker-5); more speakers reuse them. */
export const SPEAKER_COLOURS = 6;

/** Who speaks a segment: its speaker, else its channel's (`channels: "split"`), else nobody known. */
export function speakerOf(segment: Pick<AvSegment, "speaker" | "channel">): string | null {
  return segment.speaker ?? speakerLabel({ channel: segment.channel }) ?? null;
}

/**
 * Per segment, the speaker to label it with: at a change of speaker (the first segment with one
 * included), null where the same speaker goes on or none is known. `colour` is the speaker's, the
 * same for each of their segments: speakers take the colours in the order they first speak.
 */
export function speakerTurns(
  segments: readonly Pick<AvSegment, "speaker" | "channel">[],
): ({ speaker: string; colour: number } | null)[] {
  const colours = new Map<string, number>();
  let before: string | null = null;
  return segments.map((segment) => {
    const speaker = speakerOf(segment);
    const turn = speaker !== null && speaker !== before;
    before = speaker;
    if (speaker === null) return null;
    let colour = colours.get(speaker);
    if (colour === undefined) {
      colour = colours.size % SPEAKER_COLOURS;
      colours.set(speaker, colour);
    }
    return turn ? { speaker, colour } : null;
  });
}

/**
 * The word keyboard focus moves to from `from`: the next or previous word (`step`), across segments
 * (segments without words are passed over); or with `by: "segment"` the first word of the next or
 * previous segment that has words. `from` itself at either end of the transcript.
 */
export function stepWord(
  segments: readonly { words: readonly unknown[] }[],
  from: WordRef,
  step: 1 | -1,
  by: "word" | "segment" = "word",
): WordRef {
  if (by === "word") {
    const word = from.word + step;
    if (word >= 0 && word < (segments[from.segment]?.words.length ?? 0)) return { segment: from.segment, word };
  }
  for (let s = from.segment + step; s >= 0 && s < segments.length; s += step) {
    const count = segments[s]?.words.length ?? 0;
    if (count > 0) return { segment: s, word: by === "segment" || step === 1 ? 0 : count - 1 };
  }
  return from;
}

/** The first word of the transcript, or null when no segment has words. */
export function firstWord(segments: readonly { words: readonly unknown[] }[]): WordRef | null {
  const segment = segments.findIndex((s) => s.words.length > 0);
  return segment < 0 ? null : { segment, word: 0 };
}
