/**
 * The zoom levels of the page view, as a share of the width that fits the panel ("Fit width" is 1):
 * zooming in or out goes to the next level, as in PDF viewers.
 */
export const ZOOM_LEVELS = [0.5, 0.75, 1, 1.25, 1.5, 2, 3, 4] as const;
export const FIT_WIDTH = 1;

const MIN = ZOOM_LEVELS[0];
const MAX = ZOOM_LEVELS[ZOOM_LEVELS.length - 1] as number;

/** The next level in `direction` (1 in, -1 out) from `zoom`, which need not be a level; the same at the ends. */
export function stepZoom(zoom: number, direction: 1 | -1): number {
  const next =
    direction > 0
      ? ZOOM_LEVELS.find((level) => level > zoom + 1e-9)
      : [...ZOOM_LEVELS].reverse().find((level) => level < zoom - 1e-9);
  return next ?? (direction > 0 ? MAX : MIN);
}

export const canZoom = (zoom: number, direction: 1 | -1): boolean =>
  direction > 0 ? zoom < MAX - 1e-9 : zoom > MIN + 1e-9;

/** "125%" */
export const zoomLabel = (zoom: number): string => `${Math.round(zoom * 100)}%`;
