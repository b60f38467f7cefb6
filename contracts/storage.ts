/**
 * Where a job's files live in R2 (the API writes sources, the consumers results; both read them):
 * one layout, defined here.
 */

/** The uploaded file. */
export const sourceKey = (jobId: string) => `uploads/${jobId}/source`;
/**
 * Where an attempt's results live. Per attempt, so an attempt that lost its lease can never
 * overwrite or delete the results of the one that succeeded (the job's last attempt).
 */
export const resultKey = (jobId: string, attempt: number, ext: "json" | "pdf") =>
  `results/${jobId}/${attempt}/result.${ext}`;

/** Where a fanned-out attempt keeps the results of its part `index` until they are merged. */
export const partResultKey = (jobId: string, attempt: number, index: number, ext: "json" | "pdf") =>
  `results/${jobId}/${attempt}/parts/${index}.${ext}`;
