import { signal } from "@preact/signals";

/**
 * Files dragged over the app: dropped anywhere on a page that takes files (the upload page), they go
 * to its handler; dropped anywhere else, nowhere. Either way the browser never opens the file in
 * place of the app (which would lose what the page held, such as the upload list).
 */
type Handler = (files: File[]) => void;

let handler: Handler | null = null;
/** Files are being dragged over a page that takes them. */
export const draggingFiles = signal(false);

/** Makes `take` the receiver of dropped files until the returned function is called. */
export function takeDroppedFiles(take: Handler): () => void {
  handler = take;
  return () => {
    if (handler === take) handler = null;
    draggingFiles.value = false;
  };
}

const carriesFiles = (e: DragEvent) => e.dataTransfer?.types.includes("Files") ?? false;

/** Installs the guard on the window (once, at start). */
export function guardFileDrops(target: Window): void {
  // dragenter and dragleave fire for each element crossed; the count tells when the drag left the page.
  let depth = 0;
  target.addEventListener("dragenter", (e) => {
    if (!carriesFiles(e)) return;
    depth++;
    draggingFiles.value = handler !== null;
  });
  target.addEventListener("dragleave", (e) => {
    if (!carriesFiles(e)) return;
    depth = Math.max(0, depth - 1);
    if (depth === 0) draggingFiles.value = false;
  });
  target.addEventListener("dragover", (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = handler ? "copy" : "none";
  });
  target.addEventListener("drop", (e) => {
    if (!carriesFiles(e)) return;
    e.preventDefault();
    depth = 0;
    draggingFiles.value = false;
    const files = Array.from(e.dataTransfer?.files ?? []);
    if (handler && files.length > 0) handler(files);
  });
}
