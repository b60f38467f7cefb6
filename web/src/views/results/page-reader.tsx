import { type ComponentChildren, createContext, type RefObject } from "preact";
import { useContext, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { canZoom, FIT_WIDTH, stepZoom, zoomLabel } from "./zoom";

/** What a page in the reader needs from it: the zoom, and the scrolling viewer it is shown in. */
type ReaderView = { zoom: number; viewer: RefObject<HTMLElement | null> };
const ReaderContext = createContext<ReaderView>({ zoom: FIT_WIDTH, viewer: { current: null } });
export const useReader = () => useContext(ReaderContext);

/**
 * The pages as a reader: a bar with the zoom, and the pages in a viewer that scrolls both ways when
 * zoomed in. Each page among `children` is an element with `data-page` (its number).
 */
export function PageReader({ children }: { children: ComponentChildren }) {
  const viewer = useRef<HTMLElement>(null);
  const [zoom, setZoom] = useState(FIT_WIDTH);

  const pageElements = () => [...(viewer.current?.querySelectorAll<HTMLElement>("[data-page]") ?? [])];

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
        <ZoomControls zoom={zoom} onZoom={zoomTo} />
      </div>
      <section
        ref={viewer}
        class="results-viewer"
        aria-label="Pages"
        style={{ "--zoom": String(zoom) }}
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
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
