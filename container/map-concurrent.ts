/**
 * Maps `items` with at most `limit` calls in flight, keeping results in input order. Rejects with the first
 * failure and starts nothing after it (the caller's job scope kills what is still running).
 *
 * Why a per-request limit on top of the process pool: a job's page or chunk tasks each run several processes
 * in turn; starting all of them at once would queue every task's first step before any task's second step, so
 * no page would finish (and report progress) until nearly the end.
 */
export function mapConcurrent<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  return new Promise((resolve, reject) => {
    const worker = async (): Promise<void> => {
      while (!failed && next < items.length) {
        const index = next++;
        results[index] = await map(items[index] as T, index);
      }
    };
    const workers = Array.from({ length: Math.min(limit, items.length) }, () =>
      worker().catch((error: unknown) => {
        failed = true;
        reject(error);
      }),
    );
    Promise.all(workers).then(() => resolve(results));
  });
}
