export interface TimeSpan {
  start: number;
  end: number;
}

export interface ChunkPlanOptions {
  /** Wanted chunk length in seconds. */
  targetS: number;
  /** How far from each target a silence may be and still be preferred, in seconds. */
  windowS: number;
}

/**
 * Splits `[0, durationS]` into consecutive chunks of about `targetS` seconds, cutting inside silences so that
 * no word is split between two recognizer runs: each cut goes to the midpoint of the silence nearest the
 * target (within `windowS`), or exactly on the target when no silence is near. Chunks cover the whole
 * duration without gaps; the last one takes the remainder.
 */
export function planChunks(durationS: number, silences: readonly TimeSpan[], options: ChunkPlanOptions): TimeSpan[] {
  const { targetS, windowS } = options;
  if (!(targetS > 0)) throw new RangeError(`chunk length must be positive, got ${targetS}`);
  if (!(durationS > 0)) return [];

  const midpoints = silences.map((silence) => (silence.start + silence.end) / 2);
  const chunks: TimeSpan[] = [];
  let start = 0;
  while (durationS - start > targetS) {
    const target = start + targetS;
    const cut = nearest(
      midpoints.filter((at) => at > start && at < durationS && Math.abs(at - target) <= windowS),
      target,
    );
    chunks.push({ start, end: cut ?? target });
    start = cut ?? target;
  }
  chunks.push({ start, end: durationS });
  return chunks;
}

function nearest(candidates: readonly number[], target: number): number | undefined {
  let best: number | undefined;
  for (const at of candidates) {
    if (best === undefined || Math.abs(at - target) < Math.abs(best - target)) best = at;
  }
  return best;
}
