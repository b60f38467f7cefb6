import { z } from "zod";

/**
 * `options.pages`: which pages of a document to read, as printers and OCRmyPDF's `--pages` write
 * them: page numbers and ranges separated by commas ("1-3,7"), 1-based, spaces allowed. Only those
 * pages are read, counted against limits and returned, under their numbers in the document.
 */
export const PAGE_SELECTION_PATTERN = /^\s*\d+\s*(-\s*\d+\s*)?(,\s*\d+\s*(-\s*\d+\s*)?)*$/;

/** A run of pages `first`..`last`, 1-based, inclusive. */
export interface PageRun {
  first: number;
  last: number;
}

/** The selection's runs in order, overlaps merged; null when the text is not a page selection. */
export function parsePageSelection(text: string): PageRun[] | null {
  if (!PAGE_SELECTION_PATTERN.test(text)) return null;
  const runs: PageRun[] = [];
  for (const item of text.split(",")) {
    const [first = 0, last = first] = item.split("-").map((n) => Number(n.trim()));
    if (first < 1 || last < first || !Number.isSafeInteger(last)) return null;
    runs.push({ first, last });
  }
  runs.sort((a, b) => a.first - b.first);
  const merged: PageRun[] = [];
  for (const run of runs) {
    const previous = merged.at(-1);
    if (previous && run.first <= previous.last + 1) previous.last = Math.max(previous.last, run.last);
    else merged.push({ ...run });
  }
  return merged;
}

export const PageSelection = z
  .string()
  .max(200)
  .refine((text) => parsePageSelection(text) !== null, {
    message: 'pages and page ranges separated by commas, such as "1-3,7" (the first page is 1)',
  })
  .describe(
    'OCR: only these pages, e.g. "1-3,7" (1-based); read, counted and returned alone, under their numbers in the document. Pages past its end fail the job with `pages_out_of_range`.',
  );

/** The runs of `runs` within `first`..`last`, in order. */
export function runsWithin(runs: readonly PageRun[], { first, last }: PageRun): PageRun[] {
  return runs.flatMap((run) => {
    const from = Math.max(run.first, first);
    const to = Math.min(run.last, last);
    return to < from ? [] : [{ first: from, last: to }];
  });
}

/** Every page of `runs`, in order. */
export const pagesOf = (runs: readonly PageRun[]): number[] =>
  runs.flatMap(({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => first + i));

/** The last page a selection names. */
export const lastSelectedPage = (runs: readonly PageRun[]): number => runs.at(-1)?.last ?? 0;

/** "1–3, 7": a selection as it reads in messages. */
export const describeSelection = (runs: readonly PageRun[]): string =>
  runs.map(({ first, last }) => (first === last ? `${first}` : `${first}–${last}`)).join(", ");
