import { Component } from "preact";
import { useCallback, useEffect, useId, useMemo, useRef, useState } from "preact/hooks";
import type { AvResult, AvSegment } from "../../../../contracts/results";
import type { Job } from "../../api/client";
import { formatClock } from "../../format/duration";
import { formatBytes } from "../../format/size";
import { stepMatch, type TextPiece } from "../../lib/text-search";
import { languageName } from "../../state/languages";
import { type JobResults, MAX_MEDIA_SOURCE_BYTES, segmentAt, toWebVtt } from "../../state/results";
import {
  firstWord,
  type MarkedToken,
  markTokens,
  searchSegments,
  segmentOfMatch,
  segmentTokens,
  speakerTurns,
  stepWord,
  tokensText,
  type WordRef,
  wordAt,
} from "../../state/transcript";
import { LoadFailed, Loading, SearchBox, useObjectUrl } from "./common";

/**
 * The transcript beside the recording, read as in AssemblyAI's or Descript's players: the word being
 * spoken is highlighted as the recording plays, a word (or a segment's time) plays from there,
 * speakers are named where they change, and the transcript can be searched.
 */
export function TranscriptTab({ job, results }: { job: Job; results: JobResults }) {
  useEffect(() => {
    results.loadData();
  }, [results]);
  const data = results.data.value;
  if (data.state === "error") {
    return (
      <LoadFailed error={data.error} title="The transcript could not be loaded" onRetry={() => results.loadData()} />
    );
  }
  if (data.state !== "ready") return <Loading label="Loading the transcript…" />;
  if (data.value.kind !== "av") return null;
  return (
    <div class="stack">
      <TranscriptNotes result={data.value} />
      <Transcript job={job} results={results} result={data.value} />
    </div>
  );
}

/** How long typing pauses before the search runs (as the text tab's). */
const SEARCH_DELAY_MS = 150;

const sameWord = (a: WordRef | null, b: WordRef | null) =>
  a === b || (a !== null && b !== null && a.segment === b.segment && a.word === b.word);

function Transcript({ job, results, result }: { job: Job; results: JobResults; result: AvResult }) {
  const tooLarge = job.file.size > MAX_MEDIA_SOURCE_BYTES;
  const video = job.file.mime.toLowerCase().startsWith("video/");
  useEffect(() => {
    if (!tooLarge) results.loadSource();
  }, [results, tooLarge]);
  const source = results.source.value;
  const url = useObjectUrl(source.state === "ready" ? source.value : null);
  const captionsBlob = useMemo(() => new Blob([toWebVtt(result.segments)], { type: "text/vtt" }), [result.segments]);
  const captions = useObjectUrl(captionsBlob);

  const media = useRef<HTMLMediaElement | null>(null);
  const list = useRef<HTMLOListElement>(null);
  const [active, setActive] = useState(-1);
  const [spoken, setSpoken] = useState<WordRef | null>(null);
  const [playing, setPlaying] = useState(false);
  const [unplayable, setUnplayable] = useState(false);
  const segments = result.segments;
  const playable = url !== null;

  const tokens = useMemo(() => segments.map(segmentTokens), [segments]);
  const turns = useMemo(() => speakerTurns(segments), [segments]);
  const hasWords = useMemo(() => firstWord(segments) !== null, [segments]);

  // Search: the matches are marked inside the words, numbered over the whole transcript.
  const [input, setInput] = useState("");
  const [query, setQuery] = useState("");
  const [currentMatch, setCurrentMatch] = useState(-1);
  const hintId = useId();
  useEffect(() => {
    const timer = setTimeout(() => setQuery(input), input === "" ? 0 : SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [input]);
  const texts = useMemo(() => tokens.map(tokensText), [tokens]);
  const matches = useMemo(() => searchSegments(texts, query), [texts, query]);
  const marked = useMemo(
    () => tokens.map((segmentTokens, i) => markTokens(segmentTokens, matches.ranges[i] ?? [], matches.first[i])),
    [tokens, matches],
  );
  // A new search starts at its first match.
  useEffect(() => setCurrentMatch(matches.total > 0 ? 0 : -1), [matches]);
  const matchSegment = segmentOfMatch(matches, currentMatch);
  const stepSearch = (direction: 1 | -1) => setCurrentMatch((at) => stepMatch(at, matches.total, direction));

  /** Marks the segment and the word at the media's position (state setters skip unchanged values). */
  const follow = useCallback(() => {
    const element = media.current;
    if (!element) return;
    const time = element.currentTime;
    setActive(segmentAt(segments, time));
    const word = wordAt(segments, time);
    setSpoken((before) => (sameWord(before, word) ? before : word));
  }, [segments]);

  // While playing, the word is followed every frame: `timeupdate` comes only about 4 times a second,
  // late by up to a short word. The loop stops when playing does (pause, end, seeking away, unmount).
  useEffect(() => {
    if (!playing) return;
    let frame = requestAnimationFrame(function tick() {
      follow();
      frame = requestAnimationFrame(tick);
    });
    return () => cancelAnimationFrame(frame);
  }, [playing, follow]);

  // While playing, the list scrolls to keep the spoken word (or the playing segment) in sight; the page stays put.
  useEffect(() => {
    const box = list.current;
    if (!box || !playing || active < 0) return;
    const row = box.querySelector<HTMLElement>(`[data-segment="${active}"]`);
    const word =
      spoken && spoken.segment === active ? row?.querySelector<HTMLElement>(`[data-word="${spoken.word}"]`) : null;
    const item = word ?? row;
    if (!item) return;
    const top = item.offsetTop;
    if (top < box.scrollTop || top + item.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTo({ top: Math.max(0, top - box.clientHeight / 3) });
    }
  }, [active, spoken, playing]);

  // The current match is scrolled to the middle of the list.
  useEffect(() => {
    const box = list.current;
    const mark = currentMatch < 0 ? null : box?.querySelector<HTMLElement>(`mark[data-match="${currentMatch}"]`);
    if (!box || !mark) return;
    const top = mark.offsetTop - box.clientHeight / 2 + mark.offsetHeight / 2;
    box.scrollTo({ top: Math.max(0, top) });
  }, [currentMatch, marked]);

  function playFrom(start: number) {
    const element = media.current;
    if (!element) return;
    element.currentTime = start;
    setActive(segmentAt(segments, start));
    const word = wordAt(segments, start);
    setSpoken((before) => (sameWord(before, word) ? before : word));
    element.play().catch(() => {
      // Refused (no user gesture, or the format cannot play): the position is set all the same.
    });
  }

  // The words are one stop in the Tab order (a roving tabindex): the one last focused while the focus
  // is among them, else the word being spoken, else the first. Arrow keys move between words.
  const [focused, setFocused] = useState<WordRef | null>(null);
  const focusInside = useRef(false);
  const tabStop = (!focusInside.current && spoken) || focused || firstWord(segments);

  const wordOf = (target: EventTarget | null): WordRef | null => {
    const element = target instanceof Element ? target.closest<HTMLElement>("[data-word]") : null;
    const row = element?.closest<HTMLElement>("[data-segment]");
    if (!element || !row) return null;
    return { segment: Number(row.dataset.segment), word: Number(element.dataset.word) };
  };
  const focusWord = (ref: WordRef) =>
    list.current?.querySelector<HTMLElement>(`[data-segment="${ref.segment}"] [data-word="${ref.word}"]`)?.focus();
  const playWord = (ref: WordRef) => {
    const word = segments[ref.segment]?.words[ref.word];
    if (word) playFrom(word.start);
  };

  const onClick = (event: MouseEvent) => {
    const ref = playable ? wordOf(event.target) : null;
    if (!ref) return;
    // Dragging across words selects them to copy, not to play.
    const selection = window.getSelection();
    if (selection && !selection.isCollapsed && list.current?.contains(selection.anchorNode)) return;
    playWord(ref);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    const ref = playable ? wordOf(event.target) : null;
    if (!ref || event.altKey || event.ctrlKey || event.metaKey) return;
    const count = segments[ref.segment]?.words.length ?? 0;
    const moves: Record<string, () => WordRef> = {
      ArrowRight: () => stepWord(segments, ref, 1),
      ArrowLeft: () => stepWord(segments, ref, -1),
      ArrowDown: () => stepWord(segments, ref, 1, "segment"),
      ArrowUp: () => stepWord(segments, ref, -1, "segment"),
      Home: () => ({ segment: ref.segment, word: 0 }),
      End: () => ({ segment: ref.segment, word: Math.max(0, count - 1) }),
    };
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      playWord(ref);
    } else if (moves[event.key]) {
      event.preventDefault();
      focusWord(moves[event.key]?.() ?? ref);
    }
  };
  const onFocusIn = (event: FocusEvent) => {
    const ref = wordOf(event.target);
    focusInside.current = ref !== null;
    if (ref) setFocused((before) => (sameWord(before, ref) ? before : ref));
  };
  const onFocusOut = (event: FocusEvent) => {
    if (!wordOf(event.relatedTarget)) focusInside.current = false;
  };

  const mediaProps = {
    ref: (element: HTMLMediaElement | null) => {
      media.current = element;
    },
    controls: true,
    preload: "metadata",
    src: url ?? undefined,
    onTimeUpdate: follow,
    onSeeked: follow,
    onPlay: () => setPlaying(true),
    onPause: () => {
      setPlaying(false);
      follow();
    },
    onEnded: () => setPlaying(false),
    onError: () => setUnplayable(true),
    class: "results-player",
  } as const;
  const track = captions && (
    <track kind="captions" src={captions} srclang={languageTag(result.language)} label="Transcript" />
  );

  // A video sits beside its transcript where the screen is wide enough (results.css), not above it.
  return (
    <div class={video ? "results-av with-video" : "results-av stack"}>
      <div class="stack results-av-media">
        {tooLarge ? (
          <p class="results-note">
            The recording is {formatBytes(job.file.size)}, over the {formatBytes(MAX_MEDIA_SOURCE_BYTES)} the player
            loads, so it is not played here.
          </p>
        ) : source.state === "error" ? (
          <LoadFailed
            error={source.error}
            title="The recording could not be loaded"
            onRetry={() => results.loadSource()}
          />
        ) : source.state !== "ready" || !url ? (
          <Loading label="Loading the recording…" received={results.sourceReceived.value} total={job.file.size} />
        ) : video ? (
          <video {...mediaProps} playsInline aria-label={`Recording: ${job.file.name}`}>
            {track}
          </video>
        ) : (
          <audio {...mediaProps} aria-label={`Recording: ${job.file.name}`}>
            {track}
          </audio>
        )}
        {unplayable && (
          <p class="results-note">
            This browser cannot play the recording's format ({job.file.mime}); the transcript is all there is to show.
          </p>
        )}
      </div>
      {segments.length === 0 ? (
        <p class="muted">No speech was found in this recording.</p>
      ) : (
        <div class="stack results-av-transcript">
          <SearchBox
            label="Search in transcript"
            input={input}
            query={query}
            onInput={setInput}
            onSearch={setQuery}
            onStep={stepSearch}
            total={matches.total}
            current={currentMatch}
            capped={matches.capped}
            countTestId="transcript-search-count"
          />
          {hasWords && playable && (
            <p class="small muted results-hint" id={hintId}>
              Click a word to play from there. With the keyboard: Tab to the words, move with the arrow keys, and press
              Enter or Space to play from the word.
            </p>
          )}
          {/* One handler for the clicks and keys of all the words inside (their events bubble here). */}
          <ol
            class="results-segments"
            ref={list}
            aria-label="Transcript"
            aria-describedby={hasWords && playable ? hintId : undefined}
            data-testid="transcript"
            onClick={onClick}
            onKeyDown={onKeyDown}
            onFocusIn={onFocusIn}
            onFocusOut={onFocusOut}
          >
            {segments.map((segment, i) => (
              <SegmentRow
                key={i}
                index={i}
                segment={segment}
                tokens={marked[i] ?? []}
                current={i === active}
                spokenWord={spoken?.segment === i ? spoken.word : -1}
                tabStopWord={playable && tabStop?.segment === i ? tabStop.word : -1}
                currentMatch={matchSegment === i ? currentMatch : -1}
                turn={turns[i] ?? null}
                playable={playable}
                onPlay={playFrom}
              />
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}

type SegmentRowProps = {
  index: number;
  segment: AvSegment;
  tokens: MarkedToken[];
  current: boolean;
  /** The index of the word being spoken in this segment, or -1. */
  spokenWord: number;
  /** The word of this segment in the Tab order, or -1. */
  tabStopWord: number;
  /** The current search match when it is in this segment, or -1. */
  currentMatch: number;
  turn: { speaker: string; colour: number } | null;
  playable: boolean;
  onPlay: (start: number) => void;
};

/**
 * One segment: its time (plays from its start), its speaker where the speaker changes, its words.
 * Rendered again only when what it shows changes: while the recording plays, the segments the spoken
 * word leaves and enters, not the whole transcript.
 */
class SegmentRow extends Component<SegmentRowProps> {
  override shouldComponentUpdate(next: SegmentRowProps): boolean {
    const props = this.props as Record<string, unknown>;
    return Object.entries(next).some(([key, value]) => key !== "onPlay" && props[key] !== value);
  }

  override render() {
    const { index, segment, tokens, current, spokenWord, tabStopWord, currentMatch, turn, playable } = this.props;
    const clock = formatClock(segment.start);
    return (
      <li
        data-segment={index}
        class={current ? "results-segment current" : "results-segment"}
        aria-current={current ? "true" : undefined}
      >
        <button
          type="button"
          class="results-segment-time"
          aria-label={`Play from ${clock}`}
          disabled={!playable}
          onClick={() => this.props.onPlay(segment.start)}
        >
          {clock}
        </button>
        <div class="results-segment-body">
          {turn && (
            <span class={`results-speaker speaker-${turn.colour}`} data-testid="speaker-label">
              {turn.speaker}
            </span>
          )}
          <span class="results-segment-text">
            {tokens.map((token, t) => {
              if (token.word < 0) return <Pieces key={t} pieces={token.pieces} current={currentMatch} />;
              const word = segment.words[token.word];
              const spoken = token.word === spokenWord;
              return (
                <span
                  key={t}
                  class={spoken ? "results-word current" : "results-word"}
                  data-testid="transcript-word"
                  data-word={token.word}
                  data-start={word?.start}
                  data-end={word?.end}
                  aria-current={spoken ? "true" : undefined}
                  tabIndex={playable ? (token.word === tabStopWord ? 0 : -1) : undefined}
                >
                  <Pieces pieces={token.pieces} current={currentMatch} />
                </span>
              );
            })}
          </span>
        </div>
      </li>
    );
  }
}

/** A run of text with its search matches marked (the current one set apart). */
function Pieces({ pieces, current }: { pieces: TextPiece[]; current: number }) {
  return (
    <>
      {pieces.map((piece, p) =>
        piece.match < 0 ? (
          piece.text
        ) : (
          <mark
            key={p}
            data-match={piece.match}
            class={piece.match === current ? "current" : undefined}
            aria-current={piece.match === current ? "true" : undefined}
          >
            {piece.text}
          </mark>
        ),
      )}
    </>
  );
}

/**
 * What to know about how the transcript was made, above it (as the pages' warnings above the pages):
 * the language heard (found, with `language: "auto"`), a translation, and the result's warnings.
 */
function TranscriptNotes({ result }: { result: AvResult }) {
  const warnings = result.warnings ?? [];
  const detected = result.detected_language;
  const language = `${languageName(result.language)} (${result.language})`;
  return (
    <>
      <p class="small muted results-legend" data-testid="transcript-language">
        {result.translated
          ? `Translated into English${detected ? ` from ${languageName(detected)} (${detected}), which was detected` : ""}`
          : detected
            ? `Language detected: ${languageName(detected)} (${detected})`
            : `Language: ${language}`}
        {` · heard by ${result.engine}`}
      </p>
      {warnings.length > 0 && (
        <div class="results-warning" data-testid="av-warnings">
          <p>
            <strong>{warnings.length === 1 ? "One thing to know" : `${warnings.length} things to know`}:</strong>
          </p>
          <ul>
            {warnings.map((warning) => (
              <li key={warning.message}>
                {warning.message}
                {warning.terms && warning.terms.length > 0 && (
                  <span class="small muted"> (unused: {warning.terms.join(", ")})</span>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
    </>
  );
}

/** A BCP 47 tag for the track from the transcript's language ("en", "eng", "auto"…): its first code. */
function languageTag(language: string): string {
  const first = language.split(/[+_-]/)[0]?.toLowerCase() ?? "";
  return /^[a-z]{2,3}$/.test(first) ? first : "und";
}
