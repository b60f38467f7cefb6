/** The parts (1-based) of a multipart upload still to send, given the ones the API has. */
export function missingParts(partCount: number, received: readonly number[]): number[] {
  const have = new Set(received);
  return Array.from({ length: partCount }, (_, i) => i + 1).filter((n) => !have.has(n));
}
