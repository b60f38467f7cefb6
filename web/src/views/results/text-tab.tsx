import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { findMatches, MAX_MATCHES, splitAtMatches, stepMatch } from "../../lib/text-search";
import type { JobResults } from "../../state/results";
import { ErrorNotice } from "../components/error-notice";
import { LoadFailed, Loading, SearchBox } from "./common";

/** The txt result: searchable, copyable. */
export function TextTab({ results }: { results: JobResults }) {
  useEffect(() => {
    results.loadText();
  }, [results]);
  const text = results.text.value;
  if (text.state === "error") {
    return <LoadFailed error={text.error} title="The text could not be loaded" onRetry={() => results.loadText()} />;
  }
  if (text.state !== "ready") return <Loading label="Loading the text…" />;
  return <TextViewer text={text.value} results={results} />;
}

/** How long typing pauses before the search runs (long texts make each search costly). */
const SEARCH_DELAY_MS = 150;

function TextViewer({ text, results }: { text: string; results: JobResults }) {
  const [input, setInput] = useState("");
  const [query, setQuery] = useState("");
  const [current, setCurrent] = useState(-1);
  const copy = results.copy.value;
  const viewer = useRef<HTMLElement>(null);

  useEffect(() => {
    const timer = setTimeout(() => setQuery(input), input === "" ? 0 : SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [input]);

  const matches = useMemo(() => findMatches(text, query), [text, query]);
  const pieces = useMemo(() => splitAtMatches(text, matches), [text, matches]);
  const capped = matches.length >= MAX_MATCHES;

  // A new search starts at its first match.
  useEffect(() => setCurrent(matches.length > 0 ? 0 : -1), [matches]);

  // The current match is scrolled to the middle of the viewer (the page itself stays where it is).
  useEffect(() => {
    const box = viewer.current;
    const mark = current < 0 ? null : box?.querySelector<HTMLElement>(`mark[data-match="${current}"]`);
    if (!box || !mark) return;
    const top = mark.offsetTop - box.clientHeight / 2 + mark.offsetHeight / 2;
    box.scrollTo({ top: Math.max(0, top), behavior: "auto" });
  }, [current, pieces]);

  const step = (direction: 1 | -1) => setCurrent((at) => stepMatch(at, matches.length, direction));

  return (
    <div class="stack">
      <div class="results-toolbar">
        <SearchBox
          label="Search in text"
          input={input}
          query={query}
          onInput={setInput}
          onSearch={setQuery}
          onStep={step}
          total={matches.length}
          current={current}
          capped={capped}
          countTestId="search-count"
        />
        <div class="row">
          <button type="button" onClick={() => void results.copyText()}>
            Copy text
          </button>
          <span class="small results-copied" role="status">
            {copy.state === "copied" ? "Copied" : ""}
          </span>
        </div>
      </div>
      {copy.state === "failed" && <ErrorNotice error={copy.error} title="The text could not be copied" />}
      {text.trim() === "" && <p class="muted">No text was found in this file.</p>}
      <section
        ref={viewer}
        class="results-text"
        aria-label="Extracted text"
        data-testid="result-text"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard
        tabIndex={0}
      >
        <pre>
          {pieces.map((piece) =>
            piece.match < 0 ? (
              piece.text
            ) : (
              <mark
                key={`m${piece.match}`}
                data-match={piece.match}
                class={piece.match === current ? "current" : undefined}
                aria-current={piece.match === current ? "true" : undefined}
              >
                {piece.text}
              </mark>
            ),
          )}
        </pre>
      </section>
    </div>
  );
}
