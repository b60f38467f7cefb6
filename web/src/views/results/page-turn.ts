import type { OcrPage } from "../../../../contracts/results";

/**
 * Where the page as uploaded goes in a frame of the upright page's size, when the runner turned it
 * to read it (`rotation` and `skew_deg`, clockwise): centred, at its own size relative to the
 * upright canvas (which grew to hold it), and turned the same way, so that the word boxes, which
 * are in the upright page's space, fall on their words. Null for a page read as it was.
 */
export function turnedPlacement(
  page: Pick<OcrPage, "width" | "height" | "rotation" | "skew_deg">,
): { widthPct: number; heightPct: number; degrees: number } | null {
  const degrees = (page.rotation ?? 0) + (page.skew_deg ?? 0);
  if (degrees % 360 === 0 || page.width <= 0 || page.height <= 0) return null;
  const radians = (degrees * Math.PI) / 180;
  const c = Math.abs(Math.cos(radians));
  const s = Math.abs(Math.sin(radians));
  // The upright canvas is the turned page's bounding box: W = w·c + h·s, H = w·s + h·c.
  const det = c * c - s * s;
  const width = Math.abs(det) < 1e-6 ? page.width : (c * page.width - s * page.height) / det;
  const height = Math.abs(det) < 1e-6 ? page.height : (c * page.height - s * page.width) / det;
  return { widthPct: (width / page.width) * 100, heightPct: (height / page.height) * 100, degrees };
}
