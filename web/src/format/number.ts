/** A count as people read it: integers as they are, fractions to one decimal (audio minutes). */
export function formatAmount(value: number): string {
  if (!Number.isFinite(value)) return "–";
  const rounded = Math.round(value * 10) / 10;
  return Number.isInteger(rounded) ? String(rounded) : rounded.toFixed(1);
}

/** A short duration measured in milliseconds (a webhook delivery): "85 ms", "1.2 s". */
export function formatMilliseconds(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
