/** Latency percentiles of a set of timings, in the timings' unit (rounded to 0.1). */
export function percentiles(values: readonly number[]): { n: number; p50: number; p95: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => {
    if (sorted.length === 0) return Number.NaN;
    const value = sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
    return Math.round(value * 10) / 10;
  };
  return { n: sorted.length, p50: at(50), p95: at(95), p99: at(99) };
}

/** A Markdown table on stdout (ready to paste into docs/PERFORMANCE.md). */
export function printTable(title: string, rows: Record<string, string | number>[]): void {
  const columns = Object.keys(rows[0] ?? {});
  console.log(`\n${title}\n`);
  console.log(`| ${columns.join(" | ")} |`);
  console.log(`|${columns.map(() => "---").join("|")}|`);
  for (const row of rows) console.log(`| ${columns.map((c) => row[c]).join(" | ")} |`);
}
