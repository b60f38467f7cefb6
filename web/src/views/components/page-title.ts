import { useEffect } from "preact/hooks";

/** The browser tab's title for the page on screen (read first by screen readers after a navigation). */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Verbatim`;
  }, [title]);
}
