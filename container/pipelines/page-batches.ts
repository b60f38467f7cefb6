/**
 * Most pages in a batch, which one engine run recognizes: enough that the engine's start-up (loading the
 * model, about 0.15 s) is paid once for several pages, few enough that a part's pages still spread over
 * the cores and that few page images wait on disk at once.
 */
export const MAX_PAGES_PER_BATCH = 5;

/**
 * `pages` (in document order) cut into batches of pages that follow each other for `slots` engines
 * working at once: at most `maxPerBatch` pages each, a multiple of `slots` batches (so no slot gets one
 * more than the others), and sizes that differ by at most one page.
 */
export function pageBatches(pages: readonly number[], slots: number, maxPerBatch = MAX_PAGES_PER_BATCH): number[][] {
  const total = pages.length;
  if (total === 0) return [];
  const batches = Math.min(total, Math.ceil(Math.ceil(total / maxPerBatch) / slots) * slots);
  const size = Math.floor(total / batches);
  const larger = total % batches; // the first `larger` batches take one page more
  const result: number[][] = [];
  let next = 0;
  for (let batch = 0; batch < batches; batch++) {
    const count = size + (batch < larger ? 1 : 0);
    result.push(pages.slice(next, next + count));
    next += count;
  }
  return result;
}
