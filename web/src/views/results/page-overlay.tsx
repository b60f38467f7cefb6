import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { OcrPage } from "../../../../contracts/results";
import { LOW_CONFIDENCE } from "../../state/results";
import { percent } from "./common";
import { useReader } from "./page-reader";
import { caretAt, lineAt, offsetAt, stretchToBox, type TextPiece, textLayerItems } from "./text-layer";

type Line = OcrPage["blocks"][number]["lines"][number];

const pct = (value: number, of: number) => `${Math.min(100, Math.max(0, (value / of) * 100))}%`;

/** The line that a key moves focus to from line `at` of `count`, or null for other keys. */
function lineAfterKey(key: string, at: number, count: number): number | null {
  switch (key) {
    case "ArrowDown":
    case "ArrowRight":
      return Math.min(at + 1, count - 1);
    case "ArrowUp":
    case "ArrowLeft":
      return Math.max(at - 1, 0);
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/**
 * What lies over a drawn page: the recognized lines as boxes, and above them the page's text as an
 * invisible layer to select and copy. Both are placed in percent of the page's size (bbox units —
 * px or pt — are those of the page's width and height), so they follow the page at any width and zoom.
 *
 * Hovering or tapping a line (found under the pointer, since the text layer is on top) shows its
 * text and confidence, as focusing its box does. The page's boxes are one Tab stop (a roving
 * tabindex: the line focused last, the first at the start); the arrow keys move between them, Home
 * and End go to the first and last, Escape hides the text.
 */
export function PageOverlay({ page }: { page: OcrPage }) {
  const lines = useMemo(() => page.blocks.flatMap((block) => block.lines), [page]);
  const [active, setActive] = useState<number | null>(null);
  const [stop, setStop] = useState(0);
  const hovered = useRef<number | null>(null);
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);
  const tabStop = stop < lines.length ? stop : 0;
  const shown = active === null ? undefined : lines[active];
  const leave = (i: number) => setActive((at) => (at === i ? null : at));
  const onKeyDown = (event: KeyboardEvent, i: number) => {
    if (event.key === "Escape") {
      setActive(null);
      return;
    }
    const next = lineAfterKey(event.key, i, lines.length);
    if (next === null) return;
    event.preventDefault();
    // Focusing the line makes it the Tab stop and shows its tooltip (onFocus).
    buttons.current[next]?.focus();
  };
  const hover = (i: number | null) => {
    const before = hovered.current;
    if (before === i) return;
    hovered.current = i;
    if (before !== null) leave(before);
    if (i !== null) setActive(i);
  };
  if (lines.length === 0) return null;
  return (
    <>
      <div class="results-lines">
        {lines.map((line, i) => {
          const [x0, y0, x1, y1] = line.bbox;
          const low = line.confidence < LOW_CONFIDENCE;
          return (
            <button
              key={i}
              ref={(element) => {
                buttons.current[i] = element;
              }}
              type="button"
              tabIndex={i === tabStop ? 0 : -1}
              class={`results-line${low ? " low" : ""}${i === active ? " active" : ""}`}
              style={{
                left: pct(x0, page.width),
                top: pct(y0, page.height),
                width: pct(x1 - x0, page.width),
                height: pct(y1 - y0, page.height),
              }}
              aria-label={`${line.text} (confidence ${percent(line.confidence)}${low ? ", low" : ""})`}
              onFocus={() => {
                setStop(i);
                setActive(i);
              }}
              onBlur={() => leave(i)}
              onClick={() => setActive(i)}
              onKeyDown={(e) => onKeyDown(e, i)}
            />
          );
        })}
      </div>
      <TextLayer
        page={page}
        lineAtPoint={(layer, event) => {
          const box = layer.getBoundingClientRect();
          if (box.width <= 0 || box.height <= 0) return null;
          const x = ((event.clientX - box.left) / box.width) * page.width;
          const y = ((event.clientY - box.top) / box.height) * page.height;
          return lineAt(lines, x, y);
        }}
        onHover={hover}
        onTap={(i) => {
          setActive(i);
          if (i === null) return;
          // As a tap on the box itself did: the line is focused, and the arrow keys go on from it.
          setStop(i);
          buttons.current[i]?.focus({ preventScroll: true });
        }}
      />
      {shown && <LineTip line={shown} page={page} />}
    </>
  );
}

/** The font the text layer is set in, and measured in. */
const LAYER_FONT = "sans-serif";

let measuring: CanvasRenderingContext2D | null | undefined;
/** The width of `text` in the layer's font at 100 px, or 0 where it cannot be measured. */
function widthAt100(text: string): number {
  if (measuring === undefined) {
    measuring = document.createElement("canvas").getContext("2d");
    if (measuring) measuring.font = `100px ${LAYER_FONT}`;
  }
  return measuring?.measureText(text).width ?? 0;
}

/** How near (px) to the viewer's edge a drag scrolls it, and by how much per move. */
const AUTOSCROLL_EDGE = 32;
const AUTOSCROLL_STEP = 24;

/**
 * The page's text, invisible, each word over its box (as PDF viewers do): set as high as its box, in
 * a font size relative to the page's width (cqw), and stretched across to the box's width, so the
 * selection's highlight lies on the words on the page. Between the words, in the page's reading
 * order, the spaces and line breaks that a copy of the selection carries (taking no room).
 *
 * A mouse drag selects from the text nearest to where it starts to the text nearest to the pointer
 * (caretAt), so a drag from the margin or past the end of a line selects whole lines, as on paper;
 * the browser's own drag would jump to the layer's end over blank parts of the page. A double or
 * triple click and a touch's long press are the browser's own. Hidden from screen readers: the line
 * boxes say each line's text.
 */
function TextLayer({
  page,
  lineAtPoint,
  onHover,
  onTap,
}: {
  page: OcrPage;
  lineAtPoint: (layer: HTMLElement, event: MouseEvent) => number | null;
  onHover: (line: number | null) => void;
  onTap: (line: number | null) => void;
}) {
  const { viewer } = useReader();
  const items = useMemo(() => textLayerItems(page), [page]);
  const pieces = useMemo(() => items.filter((item): item is TextPiece => item.kind === "text"), [items]);
  const styles = useMemo(
    () =>
      pieces.map(({ text, bbox }) => ({
        left: pct(bbox[0], page.width),
        top: pct(bbox[1], page.height),
        fontSize: `${((bbox[3] - bbox[1]) / page.width) * 100}cqw`,
        transform: `scaleX(${stretchToBox(bbox, widthAt100(text)).toFixed(4)})`,
      })),
    [pieces, page],
  );
  const layer = useRef<HTMLDivElement>(null);
  const spans = useRef<(HTMLSpanElement | null)[]>([]);
  const pointer = useRef("mouse");
  const endDrag = useRef<(() => void) | null>(null);
  useEffect(() => () => endDrag.current?.(), []);

  /** The text position nearest to the mouse: a text node of the layer and an offset in it. */
  const caretFor = (event: MouseEvent): { node: Node; offset: number } | null => {
    const box = layer.current?.getBoundingClientRect();
    if (!box || box.width <= 0 || box.height <= 0) return null;
    const x = ((event.clientX - box.left) / box.width) * page.width;
    const y = ((event.clientY - box.top) / box.height) * page.height;
    const at = caretAt(pieces, x, y, (piece, px) =>
      offsetAt(piece.text, (px - piece.bbox[0]) / Math.max(1e-9, piece.bbox[2] - piece.bbox[0]), widthAt100),
    );
    const node = at === null ? null : spans.current[at.piece]?.firstChild;
    return at && node ? { node, offset: at.offset } : null;
  };

  /** A drag near the viewer's edge scrolls it, so a selection can run past what is in view. */
  const autoscroll = (event: MouseEvent) => {
    const box = viewer.current;
    if (!box) return;
    const edges = box.getBoundingClientRect();
    if (event.clientY > edges.bottom - AUTOSCROLL_EDGE) box.scrollTop += AUTOSCROLL_STEP;
    else if (event.clientY < edges.top + AUTOSCROLL_EDGE) box.scrollTop -= AUTOSCROLL_STEP;
    if (event.clientX > edges.right - AUTOSCROLL_EDGE) box.scrollLeft += AUTOSCROLL_STEP;
    else if (event.clientX < edges.left + AUTOSCROLL_EDGE) box.scrollLeft -= AUTOSCROLL_STEP;
  };

  const onMouseDown = (event: MouseEvent) => {
    if (event.button !== 0 || event.detail > 1 || pointer.current === "touch") return;
    const selection = getSelection();
    const start = caretFor(event);
    if (!selection || !start) return;
    event.preventDefault();
    // Shift extends the selection there is in this page; otherwise a new one starts here.
    const within = selection.anchorNode !== null && layer.current?.contains(selection.anchorNode);
    const anchor =
      event.shiftKey && within && selection.anchorNode
        ? { node: selection.anchorNode, offset: selection.anchorOffset }
        : start;
    selection.setBaseAndExtent(anchor.node, anchor.offset, start.node, start.offset);
    endDrag.current?.();
    const move = (moved: MouseEvent) => {
      autoscroll(moved);
      const to = caretFor(moved);
      if (to) selection.setBaseAndExtent(anchor.node, anchor.offset, to.node, to.offset);
    };
    const end = () => {
      window.removeEventListener("mousemove", move);
      window.removeEventListener("mouseup", end);
      endDrag.current = null;
    };
    window.addEventListener("mousemove", move);
    window.addEventListener("mouseup", end);
    endDrag.current = end;
  };

  let piece = 0;
  return (
    <div
      ref={layer}
      class="results-text-layer"
      aria-hidden="true"
      data-testid="text-layer"
      onPointerDown={(event) => {
        pointer.current = event.pointerType;
      }}
      onMouseDown={onMouseDown}
      onPointerMove={(event) => {
        // A touch shows a line when it taps it; a drag that selects text shows none.
        if (event.pointerType === "touch" || event.buttons !== 0) onHover(null);
        else onHover(lineAtPoint(event.currentTarget, event));
      }}
      onPointerLeave={() => onHover(null)}
      onClick={(event) => {
        // The end of a drag that selected text is not a tap.
        if (getSelection()?.isCollapsed === false) return;
        onTap(lineAtPoint(event.currentTarget, event));
      }}
    >
      {items.map((item, i) => {
        if (item.kind === "gap") return item.text;
        const at = piece++;
        return (
          <span
            key={i}
            ref={(element) => {
              spans.current[at] = element;
            }}
            style={styles[at]}
          >
            {item.text}
          </span>
        );
      })}
    </div>
  );
}

/** The tooltip of a line: below it (above near the bottom), kept inside the page. */
function LineTip({ line, page }: { line: Line; page: OcrPage }) {
  const [x0, y0, x1, y1] = line.bbox;
  const right = x0 / page.width > 0.5;
  const above = y1 / page.height > 0.8;
  const low = line.confidence < LOW_CONFIDENCE;
  return (
    <div
      role="tooltip"
      class="results-tip"
      style={{
        ...(right ? { right: pct(page.width - x1, page.width) } : { left: pct(x0, page.width) }),
        ...(above ? { bottom: pct(page.height - y0, page.height) } : { top: pct(y1, page.height) }),
      }}
    >
      <span class="results-tip-text">{line.text || "(no text)"}</span>
      <span class={low ? "results-tip-confidence low" : "results-tip-confidence"}>
        Confidence {percent(line.confidence)}
        {low && " (low)"}
      </span>
    </div>
  );
}
