import { describe, expect, it, vi } from "vitest";

/**
 * The History list's address (web/src/state/history.ts), in node with the API client replaced: the
 * filters and the page's cursor go into `/jobs?…`, and an address opens the list it names.
 */
const asked: (Record<string, unknown> | undefined)[] = [];

vi.mock("../api/client", async () => {
  const { unwrap } = await import("../api/unwrap");
  const GET = (path: string, init?: { params?: { query?: Record<string, unknown> } }) => {
    const body =
      path === "/v1/jobs/counts"
        ? { queued: 0, processing: 0, succeeded: 60, failed: 0, canceled: 0 }
        : (() => {
            const query = init?.params?.query ?? {};
            asked.push(query);
            // Three pages: (first) → c2 → c3 → end.
            const next = { undefined: "c2", c2: "c3", c3: null }[String(query.cursor)] ?? null;
            return { data: [], next_cursor: next };
          })();
    return Promise.resolve({ data: body, response: new Response(JSON.stringify(body)) });
  };
  return { api: { GET }, unwrap };
});

const history = await import("./history");

describe("the History list's address", () => {
  it("opens the filters and the page an address names, ignoring values it does not know", async () => {
    await history.openAddress({ q: "invoice", status: "bogus", kind: "ocr", after: "c2" });
    expect(history.filters.value).toEqual({ q: "invoice", status: "", kind: "ocr" });
    expect(asked.at(-1)).toMatchObject({ q: "invoice", kind: "ocr", cursor: "c2" });
    expect(asked.at(-1)?.status).toBeUndefined();
    expect(history.historyAddress()).toBe("/jobs?q=invoice&kind=ocr&after=c2");
    expect(history.cursors.value.next).toBe("c3");
  });

  it("follows the pages, and Previous from a page opened by its address goes to the first page", async () => {
    await history.nextPage();
    expect(history.historyAddress()).toBe("/jobs?q=invoice&kind=ocr&after=c3");
    expect(history.cursors.value.next).toBeNull();
    await history.previousPage();
    expect(history.historyAddress()).toBe("/jobs?q=invoice&kind=ocr&after=c2");
    await history.previousPage();
    expect(history.historyAddress()).toBe("/jobs?q=invoice&kind=ocr");
    expect(history.cursors.value.before).toEqual([]);
  });

  it("starts from the first page when a filter changes, and an empty address means no filters", async () => {
    await history.nextPage();
    history.setFilters({ status: "failed" });
    await vi.waitFor(() => expect(history.loading.value).toBe(false));
    expect(history.historyAddress()).toBe("/jobs?q=invoice&status=failed&kind=ocr");
    await history.openAddress({});
    expect(history.filters.value).toEqual(history.NO_FILTERS);
    expect(history.historyAddress()).toBe("/jobs");
    expect(history.filtered(history.filters.value)).toBe(false);
  });
});
