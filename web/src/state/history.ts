import { signal } from "@preact/signals";
import { JOB_KINDS, JOB_STATUSES, type JobCounts, type JobKind, type JobStatus } from "../../../contracts/job";
import { api, type Job, unwrap } from "../api/client";
import { clearOnSignOut } from "./session";

/**
 * The jobs list: one page at a time (keyset cursors, so a deep page costs what the first does),
 * filtered by status, kind and file name, with the counts per status beside it.
 */
export type Filters = { status: JobStatus | ""; kind: JobKind | ""; q: string };

export const PAGE_SIZE = 25;
export const NO_FILTERS: Filters = { status: "", kind: "", q: "" };
export const filters = signal<Filters>(NO_FILTERS);
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

clearOnSignOut(() => {
  generation++;
  page.value = [];
  counts.value = null;
  filters.value = NO_FILTERS;
  cursors.value = { before: [], current: undefined, next: null };
});

/** Loads one page; `null` when it failed or a newer load (filters changed) owns the page. */
async function load(cursor: string | undefined): Promise<{ next: string | null } | null> {
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
              status: status || undefined,
              kind: kind || undefined,
              q: q.trim() || undefined,
            },
          },
        }),
      ),
      unwrap(api.GET("/v1/jobs/counts")),
    ]);
    if (run !== generation) return null;
    page.value = list.data;
    counts.value = byStatus;
    historyError.value = null;
    return { next: list.next_cursor };
  } catch (err) {
    if (run === generation) historyError.value = err;
    return null;
  } finally {
    if (run === generation) loading.value = false;
  }
}

// The cursors move only with a page that loaded and is still wanted.
export async function firstPage(): Promise<void> {
  const loaded = await load(undefined);
  if (loaded) cursors.value = { before: [], current: undefined, next: loaded.next };
}

export async function nextPage(): Promise<void> {
  const { before, current, next } = cursors.value;
  if (!next) return;
  const loaded = await load(next);
  if (loaded) cursors.value = { before: [...before, current], current: next, next: loaded.next };
}

export async function previousPage(): Promise<void> {
  const { before } = cursors.value;
  if (before.length === 0) return;
  const target = before.at(-1);
  const loaded = await load(target);
  if (loaded) cursors.value = { before: before.slice(0, -1), current: target, next: loaded.next };
}

export function setFilters(patch: Partial<Filters>): void {
  filters.value = { ...filters.value, ...patch };
  void firstPage();
}

export const filtered = (f: Filters) => f.status !== "" || f.kind !== "" || f.q.trim() !== "";

/**
 * The list's state as the address shows it (`/jobs?q=…&status=…&kind=…&after=…`), so a reload or a
 * shared link opens the same filters and page. `after` is the page's cursor.
 */
export function historyAddress(): string {
  const { status, kind, q } = filters.value;
  const params = new URLSearchParams();
  if (q.trim()) params.set("q", q);
  if (status) params.set("status", status);
  if (kind) params.set("kind", kind);
  if (cursors.value.current) params.set("after", cursors.value.current);
  const query = params.toString();
  return query ? `/jobs?${query}` : "/jobs";
}

/**
 * Opens the list the address names (values it does not know are ignored). A page opened by its
 * cursor has no trail of the pages before it, so Previous goes back to the first page.
 */
export async function openAddress(query: Record<string, string | undefined>): Promise<void> {
  const status = (JOB_STATUSES as readonly string[]).includes(query.status ?? "") ? (query.status as JobStatus) : "";
  const kind = (JOB_KINDS as readonly string[]).includes(query.kind ?? "") ? (query.kind as JobKind) : "";
  filters.value = { status, kind, q: query.q ?? "" };
  const after = query.after || undefined;
  cursors.value = { before: after ? [undefined] : [], current: after, next: null };
  const loaded = await load(after);
  if (loaded && cursors.value.current === after) cursors.value = { ...cursors.value, next: loaded.next };
}
