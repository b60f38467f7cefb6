/**
 * Most pages in a batch, which one engine run recognizes: enough that the engine's start-up (loading the
 * model, about 0.15 s) is paid once for several pages, few enough that a part's pages still spread over
 * the cores and that few page images wait on disk at once.
 */
export const MAX_PAGES_PER_BATCH = 5;

/**
 * Pages `first`..`last` cut into batches of consecutive pages for `slots` engines working at once: at
 * most `maxPerBatch` pages each, a multiple of `slots` batches (so no slot gets one more than the others),
 * and sizes that differ by at most one page.
 */
export function pageBatches(first: number, last: number, slots: number, maxPerBatch = MAX_PAGES_PER_BATCH): number[][] {
  const total = last - first + 1;
  if (total <= 0) return [];
  const batches = Math.min(total, Math.ceil(Math.ceil(total / maxPerBatch) / slots) * slots);
  const size = Math.floor(total / batches);
  const larger = total % batches; // the first `larger` batches take one page more
  const result: number[][] = [];
  let next = first;
  for (let batch = 0; batch < batches; batch++) {
    const pages = size + (batch < larger ? 1 : 0);
    result.push(Array.from({ length: pages }, (_, offset) => next + offset));
    next += pages;
  }
  return result;
}
