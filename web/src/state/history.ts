import { signal } from "@preact/signals";
import type { JobCounts } from "../../../contracts/job";
import { api, type Job, unwrap } from "../api/client";

/**
 * The jobs list: one page at a time (keyset cursors, so a deep page costs what the first does),
 * filtered by status, kind and file name, with the counts per status beside it.
 */
export type Filters = { status: string; kind: string; q: string };

export const PAGE_SIZE = 25;
export const filters = signal<Filters>({ status: "", kind: "", q: "" });
export const page = signal<Job[]>([]);
export const counts = signal<JobCounts | null>(null);
export const loading = signal(false);
export const historyError = signal<unknown>(null);
/** Cursors of the pages before the current one (the first page has none), and the next page's. */
export const cursors = signal<{ before: (string | undefined)[]; current: string | undefined; next: string | null }>({
  before: [],
  current: undefined,
  next: null,
});

let generation = 0;

async function load(cursor: string | undefined): Promise<string | null> {
  const run = ++generation;
  loading.value = true;
  try {
    const { status, kind, q } = filters.value;
    const [list, byStatus] = await Promise.all([
      unwrap(
        api.GET("/v1/jobs", {
          params: {
            query: {
              limit: PAGE_SIZE,
              cursor,
              status: (status || undefined) as never,
              kind: (kind || undefined) as never,
              q: q.trim() || undefined,
            },
          },
        }),
      ),
      unwrap(api.GET("/v1/jobs/counts")),
    ]);
    if (run !== generation) return null; // a newer request (filters changed) owns the page
    page.value = list.data;
    counts.value = byStatus;
    historyError.value = null;
    return list.next_cursor;
  } catch (err) {
    if (run === generation) historyError.value = err;
    return null;
  } finally {
    if (run === generation) loading.value = false;
  }
}

export async function firstPage(): Promise<void> {
  const next = await load(undefined);
  cursors.value = { before: [], current: undefined, next };
}

export async function nextPage(): Promise<void> {
  const { before, current, next } = cursors.value;
  if (!next) return;
  const after = await load(next);
  cursors.value = { before: [...before, current], current: next, next: after };
}

export async function previousPage(): Promise<void> {
  const { before } = cursors.value;
  if (before.length === 0) return;
  const target = before.at(-1);
  const after = await load(target);
  cursors.value = { before: before.slice(0, -1), current: target, next: after };
}

export function setFilters(patch: Partial<Filters>): void {
  filters.value = { ...filters.value, ...patch };
  void firstPage();
}
