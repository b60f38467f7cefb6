/** Edit distance between two sequences (Levenshtein), O(n·m) time, O(m) memory. */
function editDistance<T>(a: readonly T[], b: readonly T[]): number {
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

const normalize = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s]/gu, " ")
    .replace(/\s+/g, " ")
    .trim();

/** Character error rate of `hypothesis` against `reference`, ignoring case, punctuation and spacing. */
export function characterErrorRate(reference: string, hypothesis: string): number {
  const ref = [...normalize(reference)];
  return editDistance(ref, [...normalize(hypothesis)]) / Math.max(1, ref.length);
}

/** Word error rate of `hypothesis` against `reference`, ignoring case and punctuation. */
export function wordErrorRate(reference: string, hypothesis: string): number {
  const words = (text: string) => normalize(text).split(" ").filter(Boolean);
  const ref = words(reference);
  return editDistance(ref, words(hypothesis)) / Math.max(1, ref.length);
}
