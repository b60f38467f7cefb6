/** Edit distance between two sequences (insertions, deletions, substitutions all cost 1). */
function levenshtein<T>(a: readonly T[], b: readonly T[]): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Character error rate of `hypothesis` against `reference`; case and punctuation count, whitespace runs are one space. */
export function characterErrorRate(reference: string, hypothesis: string): number {
  const squash = (text: string) => [...text.replace(/\s+/g, " ").trim()];
  const ref = squash(reference);
  return levenshtein(ref, squash(hypothesis)) / Math.max(ref.length, 1);
}

/** Word error rate, ignoring case and punctuation (speech recognizers produce neither). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const words = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9' ]+/g, " ")
      .split(" ")
      .filter(Boolean);
  const ref = words(reference);
  return levenshtein(ref, words(hypothesis)) / Math.max(ref.length, 1);
}
