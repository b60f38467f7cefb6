import type { PDFDocumentProxy } from "pdfjs-dist";
import { useEffect, useId, useRef, useState } from "preact/hooks";
import type { OcrPage, OcrResult } from "../../../../contracts/results";
import type { Job } from "../../api/client";
import { formatBytes } from "../../format/size";
import { type JobResults, LOW_CONFIDENCE, MAX_PAGE_SOURCE_BYTES, pageSourceOf } from "../../state/results";
import { ErrorNotice } from "../components/error-notice";
import { LoadFailed, Loading, percent, useMediaQuery, useNearViewport, useObjectUrl } from "./common";
import { PageOverlay } from "./page-overlay";
import { PageReader, THUMBNAIL_WIDTH, useReader } from "./page-reader";
import { turnedPlacement } from "./page-turn";
import { PdfCanvas, PdfThumbnail } from "./pdf-canvas";

/** The pages of an OCR job with the recognized lines drawn over them. */
export function PagesTab({ job, results }: { job: Job; results: JobResults }) {
  useEffect(() => {
    results.loadData();
  }, [results]);
  const data = results.data.value;
  if (data.state === "error") {
    return <LoadFailed error={data.error} title="The pages could not be loaded" onRetry={() => results.loadData()} />;
  }
  if (data.state !== "ready") return <Loading label="Loading the pages…" />;
  if (data.value.kind !== "ocr") return null;
  return <Pages job={job} results={results} result={data.value} />;
}

function Pages({ job, results, result }: { job: Job; results: JobResults; result: OcrResult }) {
  const source = pageSourceOf(job.file);
  const total = Math.max(job.file.pages ?? 0, ...result.pages.map((p) => p.page));
  if (result.pages.length === 0) return <p class="muted">The result has no pages.</p>;
  return (
    <div class="stack">
      <Warnings result={result} />
      {source.kind === "image" && (
        <ImagePages results={results} pages={result.pages} total={total} size={job.file.size} />
      )}
      {source.kind === "pdf" && <PdfPages results={results} pages={result.pages} total={total} size={job.file.size} />}
      {source.kind === "none" && (
        <>
          <p class="results-note">
            {source.reason === "tiff"
              ? "Browsers cannot show TIFF images, so each page's recognized text is shown on its own."
              : source.reason === "too_large"
                ? `The file is ${formatBytes(job.file.size)}, over the ${formatBytes(MAX_PAGE_SOURCE_BYTES)} the page view loads, so each page's recognized text is shown on its own.`
                : "This type of file cannot be shown in the browser, so each page's recognized text is shown on its own."}
          </p>
          <TextPages pages={result.pages} total={total} />
        </>
      )}
    </div>
  );
}

/** Devices whose pointer cannot hover (phones, tablets): a line is tapped there. */
const TOUCH = "(hover: none), (pointer: coarse)";

function Legend() {
  const touch = useMediaQuery(TOUCH);
  return (
    <p class="small muted results-legend" data-testid="pages-legend">
      <span class="legend-box" aria-hidden="true" /> a recognized line{" "}
      <span class="legend-box low" aria-hidden="true" /> recognized with low confidence (under {percent(LOW_CONFIDENCE)}
      ).{" "}
      {touch
        ? "Tap a line to see its text and confidence; touch and hold on the page to select its text and copy it."
        : "Hover over a line, or tab to a page's lines and move between them with the arrow keys, to see a line's text and confidence; drag across the page to select its text and copy it."}
    </p>
  );
}

function ImagePages({
  results,
  pages,
  total,
  size,
}: {
  results: JobResults;
  pages: OcrPage[];
  total: number;
  size: number;
}) {
  useEffect(() => {
    results.loadSource();
  }, [results]);
  const source = results.source.value;
  const url = useObjectUrl(source.state === "ready" ? source.value : null);
  if (source.state === "error") {
    return (
      <>
        <LoadFailed error={source.error} title="The image could not be loaded" onRetry={() => results.loadSource()} />
        <TextPages pages={pages} total={total} />
      </>
    );
  }
  if (source.state !== "ready" || !url) {
    return <Loading label="Loading the image…" received={results.sourceReceived.value} total={size} />;
  }
  return (
    <>
      <Legend />
      <PageReader pages={pages} total={total}>
        {pages.map((page, i) =>
          // An image has one page; more would come from a multi-page format, which is not drawn.
          i === 0 ? (
            <PageFigure key={page.page} page={page} total={total} image={url} />
          ) : (
            <TextPage key={page.page} page={page} total={total} />
          ),
        )}
      </PageReader>
    </>
  );
}

function PdfPages({
  results,
  pages,
  total,
  size,
}: {
  results: JobResults;
  pages: OcrPage[];
  total: number;
  size: number;
}) {
  useEffect(() => {
    results.loadPdf();
  }, [results]);
  const pdf = results.pdf.value;
  if (pdf.state === "error") {
    return (
      <>
        <LoadFailed error={pdf.error} title="The PDF could not be shown" onRetry={() => results.loadPdf()} />
        <TextPages pages={pages} total={total} />
      </>
    );
  }
  if (pdf.state !== "ready") {
    return <Loading label="Loading the PDF…" received={results.sourceReceived.value} total={size} />;
  }
  const doc = pdf.value.doc;
  return (
    <>
      <Legend />
      <PageReader
        pages={pages}
        total={total}
        thumbnail={(pageNumber) => <PdfThumbnail pdf={doc} pageNumber={pageNumber} width={THUMBNAIL_WIDTH} />}
      >
        {pages.map((page) => (
          <PageFigure key={page.page} page={page} total={total} pdf={doc} />
        ))}
      </PageReader>
    </>
  );
}

/** Pages read poorly or with no text: worth a look before the text is trusted. */
function Warnings({ result }: { result: OcrResult }) {
  const warnings = result.warnings ?? [];
  if (warnings.length === 0) return null;
  return (
    <div class="results-warning" data-testid="ocr-warnings">
      <p>
        <strong>{warnings.length === 1 ? "One page needs" : `${warnings.length} pages need`} a look:</strong>
      </p>
      <ul>
        {warnings.map((warning) => (
          <li key={`${warning.code}-${warning.page}`}>{warning.message}</li>
        ))}
      </ul>
    </div>
  );
}

function PageHeading({ page, total, id }: { page: OcrPage; total: number; id: string }) {
  const turns = [
    page.rotation ? `turned ${page.rotation}°` : null,
    page.skew_deg ? `straightened by ${page.skew_deg.toFixed(1)}°` : null,
  ].filter(Boolean);
  return (
    <>
      <h3 id={id} class="results-page-heading">
        Page {page.page} of {total}
      </h3>
      {page.source === "text-layer" && <p class="small muted">Text taken from the PDF's own text layer.</p>}
      {page.source === "ocr" && (
        <p class="small muted" data-testid="page-reading">
          {page.confidence === null
            ? "No text found"
            : `Read with a mean word confidence of ${percent(page.confidence)}`}
          {turns.length > 0 && `; ${turns.join(" and ")} to read it`}
        </p>
      )}
    </>
  );
}

/**
 * One page: its image (or PDF rendering) with its lines and its text over it, drawn once it nears
 * the reader's view, at the reader's zoom.
 */
function PageFigure({
  page,
  total,
  image,
  pdf,
}: {
  page: OcrPage;
  total: number;
  image?: string;
  pdf?: PDFDocumentProxy;
}) {
  const headingId = useId();
  const frame = useRef<HTMLDivElement>(null);
  const { zoom, viewer } = useReader();
  const near = useNearViewport(frame, "800px 0px", viewer);
  const [failure, setFailure] = useState<unknown>(null);
  const blank = page.width <= 0 || page.height <= 0;
  // A page the runner turned to read it: the upload is shown turned the same way, under its boxes.
  const turned = turnedPlacement(page);
  const sourceStyle = turned
    ? {
        inset: "auto",
        left: "50%",
        top: "50%",
        width: `${turned.widthPct}%`,
        height: `${turned.heightPct}%`,
        transform: `translate(-50%, -50%) rotate(${turned.degrees}deg)`,
      }
    : undefined;
  return (
    <section class="results-page" aria-labelledby={headingId} data-testid="result-page" data-page={page.page}>
      <PageHeading page={page} total={total} id={headingId} />
      {failure !== null && <ErrorNotice error={failure} title="This page could not be drawn" />}
      {blank ? (
        <pre class="results-page-text">{page.text}</pre>
      ) : (
        <div
          ref={frame}
          class="results-page-frame"
          style={{
            aspectRatio: `${page.width} / ${page.height}`,
            // At "Fit width", an image is not blown up past its own size; a PDF page fits the panel.
            maxWidth: image && page.unit === "px" ? `calc(${page.width}px * var(--zoom, 1))` : undefined,
            overflow: turned ? "hidden" : undefined,
          }}
          data-rotation={turned ? String(turned.degrees) : undefined}
        >
          {image && <img src={image} alt={`Page ${page.page}`} draggable={false} style={sourceStyle} />}
          {pdf && near && (
            <PdfCanvas pdf={pdf} pageNumber={page.page} zoom={zoom} onError={setFailure} style={sourceStyle} />
          )}
          {near && <PageOverlay page={page} />}
        </div>
      )}
    </section>
  );
}

/** Pages as their text alone (no image to show). */
function TextPages({ pages, total }: { pages: OcrPage[]; total: number }) {
  return (
    <>
      {pages.map((page) => (
        <TextPage key={page.page} page={page} total={total} />
      ))}
    </>
  );
}

function TextPage({ page, total }: { page: OcrPage; total: number }) {
  const headingId = useId();
  return (
    <section class="results-page" aria-labelledby={headingId} data-testid="result-page" data-page={page.page}>
      <PageHeading page={page} total={total} id={headingId} />
      {page.text.trim() === "" ? (
        <p class="muted small">No text was found on this page.</p>
      ) : (
        <pre class="results-page-text">{page.text}</pre>
      )}
    </section>
  );
}
