import type { PDFDocumentProxy } from "pdfjs-dist";

/**
 * PDF.js, loaded only when a PDF is in play (it is the largest part of the UI): counts a PDF's
 * pages before upload and draws pages under their recognized text.
 */
async function pdfjs() {
  const lib = await import("pdfjs-dist");
  lib.GlobalWorkerOptions.workerSrc ||= new URL("pdfjs-dist/build/pdf.worker.min.mjs", import.meta.url).toString();
  return lib;
}

/** Opens a PDF; `close()` ends its loading task and frees the worker's copy. */
export async function openPdf(data: ArrayBuffer): Promise<{ doc: PDFDocumentProxy; close: () => Promise<void> }> {
  const lib = await pdfjs();
  const assets = `${import.meta.env.BASE_URL}pdfjs/`;
  const task = lib.getDocument({
    data,
    cMapUrl: `${assets}cmaps/`,
    cMapPacked: true,
    standardFontDataUrl: `${assets}standard_fonts/`,
    wasmUrl: `${assets}wasm/`,
  });
  return { doc: await task.promise, close: () => task.destroy() };
}

/** The number of pages, or null if PDF.js cannot read the file (the API will say why). */
export async function countPdfPages(file: Blob): Promise<number | null> {
  try {
    const { doc, close } = await openPdf(await file.arrayBuffer());
    const pages = doc.numPages;
    await close();
    return pages;
  } catch {
    return null;
  }
}
