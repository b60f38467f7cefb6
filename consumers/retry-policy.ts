/** Exponential backoff with full jitter: random(0, min(cap, base·2^attempt)) seconds. */
export function retryDelaySeconds(attempt: number, baseSeconds = 5, capSeconds = 300, random = Math.random): number {
  const ceiling = Math.min(capSeconds, baseSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}
