/**
 * Finding a query in a text, as the result viewer's search does: case-insensitive, literal (the
 * query is no pattern), matches not overlapping, offsets into the text as it is (UTF-16 indices,
 * what `String.prototype.slice` takes).
 */

/** [start, end) of one match. */
export type MatchRange = [start: number, end: number];

/** More matches than this are not marked (the text would be all highlights); the count says so. */
export const MAX_MATCHES = 10_000;

const SPECIAL = /[.*+?^${}()|[\]\\]/g;

/** Every match of `query` in `text`, in order, at most `limit`; none for an empty query. */
export function findMatches(text: string, query: string, limit = MAX_MATCHES): MatchRange[] {
  if (query === "" || text === "" || limit <= 0) return [];
  // The `i` + `u` flags fold case per code point without changing offsets ("İ".toLowerCase() would).
  const pattern = new RegExp(query.replace(SPECIAL, "\\$&"), "giu");
  const ranges: MatchRange[] = [];
  for (const match of text.matchAll(pattern)) {
    ranges.push([match.index, match.index + match[0].length]);
    if (ranges.length >= limit) break;
  }
  return ranges;
}

/** A run of the text: outside any match (`match` -1) or the match of that index. */
export type TextPiece = { text: string; match: number };

/** The text cut at the matches, for rendering the matches marked. */
export function splitAtMatches(text: string, ranges: readonly MatchRange[]): TextPiece[] {
  const pieces: TextPiece[] = [];
  let at = 0;
  ranges.forEach(([start, end], match) => {
    if (start > at) pieces.push({ text: text.slice(at, start), match: -1 });
    pieces.push({ text: text.slice(start, end), match });
    at = end;
  });
  if (at < text.length) pieces.push({ text: text.slice(at), match: -1 });
  return pieces;
}

/** The match after (`step` 1) or before (-1) `current`, wrapping around; -1 when there are none. */
export function stepMatch(current: number, count: number, step: 1 | -1): number {
  if (count <= 0) return -1;
  if (current < 0) return step === 1 ? 0 : count - 1;
  return (((current + step) % count) + count) % count;
}
