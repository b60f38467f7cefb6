import type { RefObject } from "preact";
import { useEffect, useId, useState } from "preact/hooks";
import { formatBytes } from "../../format/size";
import { MAX_MATCHES } from "../../lib/text-search";
import { ErrorNotice } from "../components/error-notice";

/** A fetch under way, announced politely; with a byte count when its size is known. */
export function Loading({ label, received, total }: { label: string; received?: number; total?: number }) {
  const counted = received !== undefined && total !== undefined && total > 0;
  return (
    <div class="results-loading" role="status" aria-live="polite">
      <p class="muted">
        <span class="results-spinner" aria-hidden="true" /> {label}
        {counted && ` ${formatBytes(received)} of ${formatBytes(total)}`}
      </p>
      {counted && <progress max={total} value={received} aria-label={label} />}
    </div>
  );
}

/** A failed fetch: the problem as ErrorNotice shows it, and a button to try again. */
export function LoadFailed({ error, title, onRetry }: { error: unknown; title: string; onRetry?: () => void }) {
  return (
    <div class="stack">
      <ErrorNotice error={error} title={title} />
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** An object URL for a blob while the component shows it, revoked when it no longer does. */
export function useObjectUrl(blob: Blob | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!blob) {
      setUrl(null);
      return;
    }
    const made = URL.createObjectURL(blob);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [blob]);
  return url;
}

/**
 * Whether the element is within `margin` of the viewport, or of the scrolling `root` it is shown in
 * (true where IntersectionObserver is missing).
 */
export function useNearViewport(
  ref: RefObject<Element | null>,
  margin = "800px 0px",
  root?: RefObject<Element | null>,
): boolean {
  const [near, setNear] = useState(false);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    if (typeof IntersectionObserver === "undefined") {
      setNear(true);
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        const last = entries[entries.length - 1];
        if (last) setNear(last.isIntersecting);
      },
      { rootMargin: margin, root: root?.current ?? null },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, margin, root]);
  return near;
}

/** "87%" */
export const percent = (confidence: number): string => `${Math.round(confidence * 100)}%`;

/** Whether the media query matches, kept up to date (false where matchMedia is missing). */
export function useMediaQuery(query: string): boolean {
  const [matches, setMatches] = useState(() => typeof matchMedia === "function" && matchMedia(query).matches);
  useEffect(() => {
    if (typeof matchMedia !== "function") return;
    const list = matchMedia(query);
    const update = () => setMatches(list.matches);
    update();
    list.addEventListener("change", update);
    return () => list.removeEventListener("change", update);
  }, [query]);
  return matches;
}

/**
 * The search box over a result (text, transcript): `input` as typed, searched as `query` (Enter
 * searches at once, or steps to the next match once searched; Shift+Enter to the previous), with
 * Previous/Next and "n of m" read out politely.
 */
export function SearchBox(props: {
  label: string;
  input: string;
  query: string;
  onInput: (text: string) => void;
  onSearch: (text: string) => void;
  onStep: (direction: 1 | -1) => void;
  /** Matches found; `current` is the 0-based one shown. */
  total: number;
  current: number;
  capped: boolean;
  countTestId: string;
}) {
  const id = useId();
  const { input, query, total } = props;
  const count =
    query === "" ? "" : total === 0 ? "No matches" : `${props.current + 1} of ${total}${props.capped ? "+" : ""}`;
  return (
    <div class="results-search">
      <label for={id}>{props.label}</label>
      <div class="row">
        <input
          id={id}
          type="search"
          class="grow"
          value={input}
          autocomplete="off"
          spellcheck={false}
          onInput={(e) => props.onInput(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key !== "Enter") return;
            e.preventDefault();
            if (query !== input) props.onSearch(input);
            else props.onStep(e.shiftKey ? -1 : 1);
          }}
        />
        <button type="button" onClick={() => props.onStep(-1)} disabled={total === 0}>
          Previous
        </button>
        <button type="button" onClick={() => props.onStep(1)} disabled={total === 0}>
          Next
        </button>
        <output class="results-count small muted" aria-live="polite" data-testid={props.countTestId}>
          {count}
        </output>
      </div>
      {props.capped && <p class="small muted">Only the first {MAX_MATCHES.toLocaleString()} matches are marked.</p>}
    </div>
  );
}
