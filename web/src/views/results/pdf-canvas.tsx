import type { PDFDocumentProxy, PDFPageProxy, RenderTask } from "pdfjs-dist";
import { useEffect, useRef, useState } from "preact/hooks";

/** The largest canvas drawn (browsers refuse larger ones, and memory adds up over pages). */
const MAX_CANVAS_PIXELS = 16_000_000;

type Drawing = { done: Promise<void>; readonly cancelled: boolean; cancel: () => void };

/** Draws a page of `pdf` on `canvas` for a width of `cssWidth` CSS pixels (sharp on high-density screens). */
function drawPage(pdf: PDFDocumentProxy, pageNumber: number, cssWidth: number, canvas: HTMLCanvasElement): Drawing {
  let cancelled = false;
  let task: RenderTask | null = null;
  let pdfPage: PDFPageProxy | null = null;
  const done = (async () => {
    pdfPage = await pdf.getPage(pageNumber);
    if (cancelled) return;
    const natural = pdfPage.getViewport({ scale: 1 });
    let scale = ((cssWidth || natural.width) * (window.devicePixelRatio || 1)) / natural.width;
    const pixels = natural.width * natural.height * scale * scale;
    if (pixels > MAX_CANVAS_PIXELS) scale *= Math.sqrt(MAX_CANVAS_PIXELS / pixels);
    const viewport = pdfPage.getViewport({ scale });
    canvas.width = Math.floor(viewport.width);
    canvas.height = Math.floor(viewport.height);
    task = pdfPage.render({ canvas, viewport });
    await task.promise;
  })();
  return {
    done,
    get cancelled() {
      return cancelled;
    },
    cancel() {
      cancelled = true;
      task?.cancel();
      pdfPage?.cleanup();
    },
  };
}

const isCancellation = (error: unknown) => (error as { name?: string } | null)?.name === "RenderingCancelledException";

/** Frees a canvas's memory now rather than when it is collected. */
function free(canvas: HTMLCanvasElement | null) {
  if (!canvas) return;
  canvas.width = 0;
  canvas.height = 0;
}

/**
 * A PDF page drawn by PDF.js at the width its frame is shown at, drawn again when the `zoom` changes.
 * A page drawn before is drawn again off screen and then copied, so it never goes blank meanwhile.
 */
export function PdfCanvas({
  pdf,
  pageNumber,
  zoom,
  onError,
  style,
}: {
  pdf: PDFDocumentProxy;
  pageNumber: number;
  zoom: number;
  onError: (error: unknown) => void;
  style?: Record<string, string>;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState(false);
  const drawnOnce = useRef(false);
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const offscreen = drawnOnce.current ? document.createElement("canvas") : null;
    const drawing = drawPage(pdf, pageNumber, element.parentElement?.clientWidth ?? 0, offscreen ?? element);
    drawing.done
      .then(() => {
        if (drawing.cancelled) return;
        if (offscreen) {
          element.width = offscreen.width;
          element.height = offscreen.height;
          element.getContext("2d")?.drawImage(offscreen, 0, 0);
        }
        drawnOnce.current = true;
        setDrawn(true);
      })
      .catch((error: unknown) => {
        if (!drawing.cancelled && !isCancellation(error)) onError(error);
      })
      .finally(() => free(offscreen));
    return () => drawing.cancel();
  }, [pdf, pageNumber, onError, zoom]);
  useEffect(() => {
    const element = canvas.current;
    return () => free(element);
  }, []);
  return (
    <canvas
      ref={canvas}
      class={drawn ? "drawn" : undefined}
      aria-label={`Page ${pageNumber}`}
      role="img"
      style={style}
    />
  );
}

/** A small drawing of a PDF page, `width` CSS pixels wide (a failure leaves it blank: the page says why). */
export function PdfThumbnail({ pdf, pageNumber, width }: { pdf: PDFDocumentProxy; pageNumber: number; width: number }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [drawn, setDrawn] = useState(false);
  useEffect(() => {
    const element = canvas.current;
    if (!element) return;
    const drawing = drawPage(pdf, pageNumber, width, element);
    drawing.done
      .then(() => {
        if (!drawing.cancelled) setDrawn(true);
      })
      .catch(() => {});
    return () => {
      drawing.cancel();
      free(element);
    };
  }, [pdf, pageNumber, width]);
  return <canvas ref={canvas} class={drawn ? "drawn" : undefined} />;
}
