import { type ComponentChildren, createContext, type RefObject } from "preact";
import { useContext, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { OcrPage } from "../../../../contracts/results";
import { useNearViewport } from "./common";
import { canZoom, FIT_WIDTH, stepZoom, zoomLabel } from "./zoom";

/** What a page in the reader needs from it: the zoom, and the scrolling viewer it is shown in. */
type ReaderView = { zoom: number; viewer: RefObject<HTMLElement | null> };
const ReaderContext = createContext<ReaderView>({ zoom: FIT_WIDTH, viewer: { current: null } });
export const useReader = () => useContext(ReaderContext);

/** From this many pages, the reader has a way to go to a page and (for PDFs) the pages' thumbnails. */
export const NAVIGATION_FROM_PAGES = 3;

/** How wide a thumbnail is drawn, in CSS pixels. */
export const THUMBNAIL_WIDTH = 64;

/**
 * The pages as a reader: a bar with a page jump and the zoom, a strip of thumbnails for a long PDF,
 * and the pages in a viewer that scrolls both ways when zoomed in. Each page among `children` is an
 * element with `data-page` (its number), found there to scroll to it and to follow the current page.
 */
export function PageReader({
  pages,
  total,
  thumbnail,
  children,
}: {
  pages: OcrPage[];
  total: number;
  thumbnail?: (pageNumber: number) => ComponentChildren;
  children: ComponentChildren;
}) {
  const viewer = useRef<HTMLElement>(null);
  const [zoom, setZoom] = useState(FIT_WIDTH);
  const [current, setCurrent] = useState(pages[0]?.page ?? 1);
  const navigation = pages.length >= NAVIGATION_FROM_PAGES;
  const pageNumbers = pages.map((page) => page.page);

  const pageElements = () => [...(viewer.current?.querySelectorAll<HTMLElement>("[data-page]") ?? [])];
  /** The page at a third of the viewer's height (the last page once scrolled to the end). */
  const followCurrent = () => {
    const box = viewer.current;
    if (!box) return;
    const elements = pageElements();
    const atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 2;
    const line = box.scrollTop + box.clientHeight / 3;
    const shown = atEnd ? elements.at(-1) : elements.filter((element) => element.offsetTop <= line).at(-1);
    const number = Number(shown?.dataset.page ?? pageNumbers[0]);
    if (Number.isFinite(number)) setCurrent(number);
  };
  const scheduled = useRef(0);
  const onScroll = () => {
    if (scheduled.current) return;
    scheduled.current = requestAnimationFrame(() => {
      scheduled.current = 0;
      followCurrent();
    });
  };
  useEffect(() => () => cancelAnimationFrame(scheduled.current), []);

  const goTo = (pageNumber: number) => {
    const box = viewer.current;
    const element = box?.querySelector<HTMLElement>(`[data-page="${pageNumber}"]`);
    if (!box || !element) return;
    box.scrollTop = element.offsetTop;
    setCurrent(pageNumber);
    // The viewer itself is brought into the window if it was scrolled out of it.
    const { top, bottom } = box.getBoundingClientRect();
    if (bottom < 0 || top > window.innerHeight) box.scrollIntoView({ block: "start" });
  };

  // A zoom keeps the same place of the same page in view.
  const anchor = useRef<{ element: HTMLElement; within: number; across: number } | null>(null);
  const zoomTo = (next: number) => {
    const box = viewer.current;
    if (box) {
      const element = pageElements()
        .filter((e) => e.offsetTop <= box.scrollTop)
        .at(-1);
      anchor.current = element
        ? {
            element,
            within: (box.scrollTop - element.offsetTop) / Math.max(1, element.offsetHeight),
            across: (box.scrollLeft + box.clientWidth / 2) / Math.max(1, box.scrollWidth),
          }
        : null;
    }
    setZoom(next);
  };
  useLayoutEffect(() => {
    const box = viewer.current;
    const at = anchor.current;
    anchor.current = null;
    if (!box || !at) return;
    box.scrollTop = at.element.offsetTop + at.within * at.element.offsetHeight;
    box.scrollLeft = at.across * box.scrollWidth - box.clientWidth / 2;
  }, [zoom]);

  // The same value until the zoom changes: the pages re-render only then, not at each page turned.
  const view = useMemo(() => ({ zoom, viewer }), [zoom]);
  return (
    <div class="results-reader">
      <div class="results-reader-bar">
        {navigation && <PageJump pageNumbers={pageNumbers} total={total} current={current} onGo={goTo} />}
        <ZoomControls zoom={zoom} onZoom={zoomTo} />
      </div>
      {navigation && thumbnail && <Thumbnails pages={pages} current={current} onGo={goTo} thumbnail={thumbnail} />}
      <section
        ref={viewer}
        class="results-viewer"
        aria-label="Pages"
        style={{ "--zoom": String(zoom) }}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
        onScroll={onScroll}
        data-testid="page-viewer"
      >
        <ReaderContext.Provider value={view}>{children}</ReaderContext.Provider>
      </section>
    </div>
  );
}

/** Zoom out, the zoom, zoom in, fit width. A button at its end stays focusable (aria-disabled). */
function ZoomControls({ zoom, onZoom }: { zoom: number; onZoom: (zoom: number) => void }) {
  const button = (label: string, text: string, enabled: boolean, next: () => number) => (
    <button
      type="button"
      aria-label={label}
      title={label}
      aria-disabled={enabled ? undefined : "true"}
      onClick={() => {
        if (enabled) onZoom(next());
      }}
    >
      {text}
    </button>
  );
  return (
    // biome-ignore lint/a11y/useSemanticElements: a group of buttons, not a form's fieldset
    <div class="results-zoom" role="group" aria-label="Zoom">
      {button("Zoom out", "−", canZoom(zoom, -1), () => stepZoom(zoom, -1))}
      <output class="results-zoom-level" aria-live="polite" data-testid="zoom-level">
        {zoomLabel(zoom)}
      </output>
      {button("Zoom in", "+", canZoom(zoom, 1), () => stepZoom(zoom, 1))}
      <button
        type="button"
        aria-disabled={zoom === FIT_WIDTH ? "true" : undefined}
        onClick={() => {
          if (zoom !== FIT_WIDTH) onZoom(FIT_WIDTH);
        }}
      >
        Fit width
      </button>
    </div>
  );
}

/**
 * The current page's number, to type another into: Enter (or leaving the field) goes there. A page
 * that was not read (a page range, a failed part) goes to the next one that was, and says so.
 */
function PageJump({
  pageNumbers,
  total,
  current,
  onGo,
}: {
  pageNumbers: number[];
  total: number;
  current: number;
  onGo: (pageNumber: number) => void;
}) {
  const id = useId();
  const [draft, setDraft] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const first = pageNumbers[0] ?? 1;
  const last = pageNumbers.at(-1) ?? 1;
  const go = () => {
    if (draft === null) return;
    setDraft(null);
    const wanted = Number.parseInt(draft, 10);
    if (!Number.isFinite(wanted)) return;
    const target = pageNumbers.find((n) => n >= wanted) ?? last;
    setNote(target === wanted ? "" : `Page ${wanted} is not among the pages read; this is page ${target}.`);
    onGo(target);
  };
  return (
    <div class="results-page-jump">
      <label for={id}>Go to page</label>
      <input
        id={id}
        type="number"
        inputMode="numeric"
        min={first}
        max={last}
        value={draft ?? String(current)}
        onInput={(event) => setDraft(event.currentTarget.value)}
        onChange={go}
        onBlur={go}
        onKeyDown={(event) => {
          if (event.key !== "Enter") return;
          event.preventDefault();
          go();
        }}
      />
      <span class="muted">of {total}</span>
      <span class="small muted" role="status">
        {note}
      </span>
    </div>
  );
}

/**
 * The pages drawn small, each drawn once it nears the strip's view; the current page marked. The
 * strip is one Tab stop (the current page's thumbnail, or the one focused last while in the strip);
 * the arrow keys move along it, Home and End go to the first and last.
 */
function Thumbnails({
  pages,
  current,
  onGo,
  thumbnail,
}: {
  pages: OcrPage[];
  current: number;
  onGo: (pageNumber: number) => void;
  thumbnail: (pageNumber: number) => ComponentChildren;
}) {
  const strip = useRef<HTMLElement>(null);
  const [focused, setFocused] = useState<number | null>(null);
  const stop = focused ?? current;
  // The current page's thumbnail is kept in the strip's view (the window is not scrolled).
  useEffect(() => {
    const box = strip.current;
    const shown = box?.querySelector<HTMLElement>('[aria-current="page"]');
    if (!box || !shown) return;
    const left = shown.offsetLeft - box.offsetLeft;
    if (left < box.scrollLeft || left + shown.offsetWidth > box.scrollLeft + box.clientWidth) {
      box.scrollLeft = left - (box.clientWidth - shown.offsetWidth) / 2;
    }
  }, [current]);
  const onKeyDown = (event: KeyboardEvent) => {
    const buttons = [...(strip.current?.querySelectorAll<HTMLButtonElement>("button") ?? [])];
    const at = buttons.indexOf(event.target as HTMLButtonElement);
    if (at < 0) return;
    const next =
      event.key === "ArrowRight" || event.key === "ArrowDown"
        ? Math.min(at + 1, buttons.length - 1)
        : event.key === "ArrowLeft" || event.key === "ArrowUp"
          ? Math.max(at - 1, 0)
          : event.key === "Home"
            ? 0
            : event.key === "End"
              ? buttons.length - 1
              : null;
    if (next === null) return;
    event.preventDefault();
    buttons[next]?.focus();
  };
  return (
    <nav
      ref={strip}
      class="results-thumbs"
      aria-label="Page thumbnails"
      onKeyDown={onKeyDown}
      onFocusOut={(event) => {
        if (!strip.current?.contains(event.relatedTarget as Node | null)) setFocused(null);
      }}
    >
      <ol>
        {pages.map((page) => (
          <li key={page.page}>
            <Thumbnail
              pageNumber={page.page}
              current={page.page === current}
              tabStop={page.page === stop}
              onFocus={() => setFocused(page.page)}
              onGo={onGo}
              strip={strip}
              thumbnail={thumbnail}
            />
          </li>
        ))}
      </ol>
    </nav>
  );
}

function Thumbnail({
  pageNumber,
  current,
  tabStop,
  onFocus,
  onGo,
  strip,
  thumbnail,
}: {
  pageNumber: number;
  current: boolean;
  tabStop: boolean;
  onFocus: () => void;
  onGo: (pageNumber: number) => void;
  strip: RefObject<HTMLElement | null>;
  thumbnail: (pageNumber: number) => ComponentChildren;
}) {
  const button = useRef<HTMLButtonElement>(null);
  const near = useNearViewport(button, "0px 400px", strip);
  return (
    <button
      ref={button}
      type="button"
      class="results-thumb"
      tabIndex={tabStop ? 0 : -1}
      aria-label={`Page ${pageNumber}`}
      aria-current={current ? "page" : undefined}
      onFocus={onFocus}
      onClick={() => onGo(pageNumber)}
    >
      <span class="results-thumb-image" style={{ width: `${THUMBNAIL_WIDTH}px` }}>
        {near && thumbnail(pageNumber)}
      </span>
      <span class="results-thumb-number" aria-hidden="true">
        {pageNumber}
      </span>
    </button>
  );
}
