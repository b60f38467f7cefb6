import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { AvResult } from "../../../../contracts/results";
import type { Job } from "../../api/client";
import { formatClock } from "../../format/duration";
import { formatBytes } from "../../format/size";
import { type JobResults, MAX_MEDIA_SOURCE_BYTES, segmentAt, toWebVtt } from "../../state/results";
import { LoadFailed, Loading, useObjectUrl } from "./common";

/** The transcript's segments beside the recording: a segment's time plays from there; the playing one is marked. */
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
  return <Transcript job={job} results={results} result={data.value} />;
}

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
  const [playing, setPlaying] = useState(false);
  const [unplayable, setUnplayable] = useState(false);
  const segments = result.segments;

  const follow = () => {
    const element = media.current;
    if (element) setActive(segmentAt(segments, element.currentTime));
  };

  // While playing, the list scrolls to keep the playing segment in sight (the page itself stays put).
  useEffect(() => {
    const box = list.current;
    const item = active < 0 || !playing ? null : box?.querySelector<HTMLElement>(`[data-segment="${active}"]`);
    if (!box || !item) return;
    const top = item.offsetTop;
    if (top < box.scrollTop || top + item.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTo({ top: Math.max(0, top - box.clientHeight / 3) });
    }
  }, [active, playing]);

  function playFrom(start: number) {
    const element = media.current;
    if (!element) return;
    element.currentTime = start;
    setActive(segmentAt(segments, start));
    element.play().catch(() => {
      // Refused (no user gesture, or the format cannot play): the position is set all the same.
    });
  }

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
    onPause: () => setPlaying(false),
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
        <ol class="results-segments" ref={list} aria-label="Transcript" data-testid="transcript">
          {segments.map((segment, i) => {
            const clock = formatClock(segment.start);
            const current = i === active;
            return (
              <li
                key={i}
                data-segment={i}
                class={current ? "results-segment current" : "results-segment"}
                aria-current={current ? "true" : undefined}
              >
                <button
                  type="button"
                  class="results-segment-time"
                  aria-label={`Play from ${clock}`}
                  disabled={!url}
                  onClick={() => playFrom(segment.start)}
                >
                  {clock}
                </button>
                <span class="results-segment-text">{segment.text}</span>
              </li>
            );
          })}
        </ol>
      )}
    </div>
  );
}

/** A BCP 47 tag for the track from the transcript's language ("en", "eng", "auto"…): its first code. */
function languageTag(language: string): string {
  const first = language.split(/[+_-]/)[0]?.toLowerCase() ?? "";
  return /^[a-z]{2,3}$/.test(first) ? first : "und";
}
