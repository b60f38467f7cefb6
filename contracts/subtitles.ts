import type { AvSegment } from "./results";

/**
 * Subtitles (SRT and WebVTT) from a transcript's segments, by the rules broadcasters and streaming
 * services publish for readable subtitles (Netflix's and the BBC's timed-text guidelines agree on
 * these numbers): at most two lines of at most 42 characters, lines and cues broken at natural
 * points, each cue on screen at least 5/6 s and at most 7 s. One builder serves the API's downloads
 * and the web player's caption track, so they cannot drift apart.
 *
 * Where two speakers talk at once (a call recorded one party per channel: "Yeah." said in the middle
 * of the other party's sentence, or both starting at the same instant), their cues overlap in time
 * and are shown together: WebVTT renders overlapping cues at once, one above the other (the web
 * player's caption track too), and so do the common SRT players (VLC, mpv, ffmpeg/libass). Each
 * speaker's cues keep to the rules among themselves (they never overlap, and a short one grows into
 * that speaker's silence), so every word is on screen while it is said, and the cues come in the
 * order of their starts. The broadcast way, one cue with a dashed line per speaker ("- …" /
 * "- Yeah."), has to fit both turns in the two lines: a long turn would shrink to one line, in more
 * and shorter cues, wherever someone says "Yeah." over it, and of two long turns said together one
 * would be shown before or after it is said.
 */
export const SUBTITLE_RULES = {
  maxLines: 2,
  maxLineChars: 42,
  minSeconds: 5 / 6,
  maxSeconds: 7,
  /** A silence this long between words always ends a cue. */
  pauseSeconds: 0.7,
} as const;

type Word = Pick<AvSegment["words"][number], "text" | "start" | "end">;

/** What the builder reads of a segment: with no words, its text is spread over its time. */
export type SubtitleSegment = Pick<AvSegment, "start" | "end" | "text" | "speaker"> & { words?: readonly Word[] };

/** A cue as shown: its lines (SRT's speaker label included), and who speaks (WebVTT's voice). */
export type SubtitleCue = { start: number; end: number; lines: string[]; speaker?: string };

/** A cue placed as given (e.g. over a part of the recording that failed); speech cues keep clear of it. */
export type FixedCue = { start: number; end: number; text: string };

export type SubtitleOptions = {
  /**
   * SRT has no markup for voices, so the speaker's name starts the first line of a cue whenever the
   * speaker changes ("Speaker 2: Right."), as closed captions name an off-screen speaker, and it counts
   * in the line's 42 characters: on a speaker's first cue, and on a cue when another speaker spoke since
   * the speaker's previous cue started, or less than 5/6 s before it (that cue may still show), or
   * speaks during it. So a cue after another speaker's is named, and of two cues shown together each
   * says whose it is. A leading dash only tells two speakers apart within one cue, which never happens
   * here; a label on a line of its own (as deepgram-captions writes) would take one of the two lines.
   * WebVTT names the speaker of every cue in a voice span instead (see formatVtt).
   */
  labelSpeakers?: boolean;
  /** Cues placed as given among the speech's (see FixedCue). */
  fixed?: readonly FixedCue[];
  /** Where the media ends: the last cue is not stretched past it. */
  mediaEnd?: number;
};

type Token = { text: string; start: number; end: number; speaker: string | undefined };

/** Words whose line or cue may end before them: conjunctions, relative pronouns, prepositions. */
const JOINERS = new Set(
  (
    "and but or nor so yet because that which who whom whose when where while if unless although though " +
    "since until as than whether to of in on at for with from by about into onto over under after before " +
    "between through during without within against like"
  ).split(" "),
);
/** Words a line should not end on: articles, possessives and the prepositions above. */
const CLINGERS = new Set(
  "a an the my your his her its our their this these those".split(" ").concat([...JOINERS].filter((w) => w !== "so")),
);
/** Abbreviations whose full stop does not end a sentence. */
const ABBREVIATIONS = new Set("mr mrs ms dr prof st jr sr vs e.g i.e".split(" "));

const bare = (word: string) => word.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, "");
const endsSentence = (word: string) => /[.?!…]["'”’)\]]*$/.test(word) && !ABBREVIATIONS.has(bare(word));
const endsClause = (word: string) => /([,;:]|--|[—–])["'”’)\]]*$/.test(word);

/**
 * How bad a break between two words is, for a line break or a cue break: after a sentence is best,
 * then after a clause, then before a conjunction or preposition; after an article or a preposition
 * ("the | house") is worst.
 */
function breakCost(before: string, after: string): number {
  if (endsSentence(before)) return 0;
  if (endsClause(before)) return 1;
  if (CLINGERS.has(bare(before))) return 5;
  if (JOINERS.has(bare(after))) return 2;
  return 4;
}

/** The words of a segment with their times; a segment without words has its text spread over its time by length. */
function tokensOf(segment: SubtitleSegment): Token[] {
  const speaker = segment.speaker || undefined;
  const clean = (text: string) => text.trim().replace(/\s+/g, " ");
  const words = (segment.words ?? [])
    .map((w) => ({ text: clean(w.text), start: w.start, end: Math.max(w.start, w.end), speaker }))
    .filter((w) => w.text !== "");
  if (words.length > 0) return words;
  const texts = segment.text.split(/\s+/).filter((t) => t !== "");
  const total = texts.reduce((sum, t) => sum + t.length, 0);
  const span = Math.max(0, segment.end - segment.start);
  let at = segment.start;
  return texts.map((text) => {
    const start = at;
    at += (span * text.length) / total;
    return { text, start, end: at, speaker };
  });
}

/** Where a cue's text breaks into lines: at word `split` (or nowhere), or after the label alone. */
type Layout = { split: number | null; labelAlone?: boolean; cost: number };

/** A cost per cue, so that cues are as full as reading allows rather than many and short. */
const CUE_COST = 2;
/** A sentence that ends inside a cue after this much text should have ended the cue. */
const FULL_CHARS = 42;
/** A cue across a gap in which another speaker started to speak (a reply, not a word said over it). */
const TURN_COST = 3;

/** What splitPhrase needs to know of the other speakers, for one speaker's phrase. */
type PhraseContext = {
  /** SRT's label for a cue of words `from`..`to` ("" for none), the speaker's cue before it starting at `previous`. */
  label: (from: number, to: number, previous: number | undefined) => string;
  /** Where the speaker's cue before the phrase starts. */
  previousStart: number | undefined;
  /** Whether another speaker started to speak between word `k` and the next. */
  turnAfter: (k: number) => boolean;
  /** The silence before the phrase and after it. */
  roomBefore: number;
  roomAfter: number;
};

/**
 * Cues for a stretch of one speaker's speech with no pause in it: the split (by dynamic programming
 * over where cues end) whose cues fit the lines and the time, end at natural breaks and where another
 * speaker replied, carry sentence ends at their ends, and are long enough to read (or have silence
 * around them to grow into). A cue's label (SRT's speaker name) starts its first line.
 */
function splitPhrase(tokens: readonly Token[], context: PhraseContext): SubtitleCue[] {
  const { roomBefore, roomAfter } = context;
  const { maxLineChars: max, maxSeconds, minSeconds } = SUBTITLE_RULES;
  const n = tokens.length;
  const text = (i: number) => tokens[i]?.text ?? "";
  const prefix = [0];
  for (let i = 0; i < n; i++) prefix.push((prefix[i] ?? 0) + text(i).length);
  /** The length of words `from`..`to` on one line, after `label`. */
  const length = (from: number, to: number, label = "") =>
    (prefix[to] ?? 0) - (prefix[from] ?? 0) + (to - from - 1) + label.length;
  /** A line fits in 42 characters, or holds one word that is longer (and stands alone). */
  const fits = (from: number, to: number, label = "") =>
    length(from, to, label) <= max || (to - from === 1 && text(from).length > max);

  /**
   * The best way to show words `from`..`to` in at most two lines, or null when they do not fit: one
   * line if it fits, else the most natural break, lines of similar length (the top one rather the
   * shorter), and no line of one word when the cue has more.
   */
  function layOut(from: number, to: number, label: string): Layout | null {
    if (fits(from, to, label)) return { split: null, cost: 0 };
    // One word that fits a line but not after the label: the label gets the first line.
    if (to - from === 1) return { split: null, labelAlone: true, cost: 0 };
    let best: Layout | null = null;
    const count = to - from;
    for (let k = from + 1; k < to; k++) {
      if (!fits(from, k, label) || !fits(k, to)) continue;
      const top = length(from, k, label);
      const bottom = length(k, to);
      const cost =
        breakCost(text(k - 1), text(k)) +
        (3 * Math.abs(top - bottom)) / max +
        (top > bottom ? (top - bottom) / max : 0) +
        (count >= 3 && (k === from + 1 || k === to - 1) ? 2 : 0);
      if (!best || cost < best.cost) best = { split: k, cost };
    }
    return best;
  }

  const best: ({ cost: number; from: number; layout: Layout; label: string } | undefined)[] = [
    { cost: 0, from: 0, layout: { split: null, cost: 0 }, label: "" },
  ];
  for (let to = 1; to <= n; to++) {
    const last = tokens[to - 1] as Token;
    const next = tokens[to];
    const breakAfter = next ? breakCost(last.text, next.text) - (next.start - last.end >= 0.3 ? 1 : 0) : 0;
    for (let from = to - 1; from >= 0; from--) {
      const first = tokens[from] as Token;
      if (to - from > 1 && last.end - first.start > maxSeconds) break;
      // Fewer words always fit where more do: once they do not, an earlier start would rarely do.
      const previous = from === 0 ? context.previousStart : tokens[best[from]?.from ?? 0]?.start;
      const label = context.label(from, to, previous);
      const layout = layOut(from, to, label);
      if (!layout) break;
      let cost =
        (best[from]?.cost ?? Number.POSITIVE_INFINITY) + CUE_COST + layout.cost / 2 + 1.5 * Math.max(0, breakAfter);
      // A sentence that ends inside a cue already full: the cue should have ended there (at its line break, less so).
      for (let k = from; k < to - 1; k++) {
        if (context.turnAfter(k)) cost += TURN_COST;
        if (!endsSentence(text(k))) continue;
        const full = length(from, k + 1, label) >= FULL_CHARS;
        const atLineBreak = layout.split === k + 1;
        cost += full ? (atLineBreak ? 1.5 : 3) : atLineBreak ? 0 : 0.5;
      }
      // Too short to read, with too little silence around it to grow into.
      const span = last.end - first.start;
      const after = next ? next.start - last.end : roomAfter;
      const room = span + Math.max(0, after) + (from === 0 ? Math.max(0, roomBefore) : 0);
      if (room < minSeconds) cost += 10 + (20 * (minSeconds - room)) / minSeconds;
      else if (span < minSeconds) cost += 0.5;
      if (cost < (best[to]?.cost ?? Number.POSITIVE_INFINITY)) best[to] = { cost, from, layout, label };
    }
  }

  const line = (from: number, to: number, label = "") =>
    label +
    tokens
      .slice(from, to)
      .map((t) => t.text)
      .join(" ");
  const cues: SubtitleCue[] = [];
  for (let to = n; to > 0; ) {
    const { from, layout, label } = best[to] as { from: number; layout: Layout; label: string };
    const first = tokens[from] as Token;
    const last = tokens[to - 1] as Token;
    const lines = layout.labelAlone
      ? [label.trimEnd(), text(from)]
      : layout.split === null
        ? [line(from, to, label)]
        : [line(from, layout.split, label), line(layout.split, to)];
    cues.unshift({ start: first.start, end: Math.max(first.start, last.end), lines, speaker: first.speaker });
    to = from;
  }
  return cues;
}

/** When some speakers' words are said: whether one was said or began within a time; the silence around a time. */
function speechTimes(tokens: readonly Token[]) {
  const sorted = [...tokens].sort((a, b) => a.start - b.start);
  const starts = sorted.map((t) => t.start);
  // The latest end among the first i + 1 words.
  const ends: number[] = [];
  for (const t of sorted) ends.push(Math.max(ends.at(-1) ?? Number.NEGATIVE_INFINITY, t.end));
  /** How many words start before `time`. */
  const startingBefore = (time: number) => {
    let low = 0;
    let high = starts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((starts[mid] as number) < time) low = mid + 1;
      else high = mid;
    }
    return low;
  };
  return {
    /** Whether a word is said, in part, after `from` and before `to`. */
    saidWithin(from: number, to: number) {
      const n = startingBefore(to);
      return n > 0 && (ends[n - 1] as number) > from;
    },
    /** Whether a word starts at or after `from` and before `to`. */
    beganWithin: (from: number, to: number) => startingBefore(to) > startingBefore(from),
    /** Where the first word starting at or after `time` starts. */
    startAfter: (time: number) => starts[startingBefore(time)] ?? Number.POSITIVE_INFINITY,
    /** Where the words starting before `time` have all ended. */
    endBefore: (time: number) => ends[startingBefore(time) - 1] ?? Number.NEGATIVE_INFINITY,
  };
}

/**
 * The cues of a transcript: never across speakers, a new cue at every pause of 0.7 s or more, at most
 * two lines of 42 characters and 7 s each, and at least 5/6 s where the speaker's silence allows: a
 * shorter cue is stretched into the silence after it, then before it, and only where no cue at all
 * leaves room, over other speakers' cues, never over its own speaker's (the last one is not stretched
 * past the end of the media). Each speaker's cues never overlap; different speakers' do where they
 * talk at once (see the top of this file). Cues come in the order of their starts; `fixed` cues are
 * placed among them as given, and speech cues keep clear of them.
 */
export function subtitleCues(segments: readonly SubtitleSegment[], options: SubtitleOptions = {}): SubtitleCue[] {
  const { minSeconds, maxSeconds, pauseSeconds } = SUBTITLE_RULES;
  const tokens = [...segments].sort((a, b) => a.start - b.start).flatMap(tokensOf);
  const bySpeaker = new Map<string | undefined, Token[]>();
  for (const token of tokens) {
    const own = bySpeaker.get(token.speaker);
    if (own) own.push(token);
    else bySpeaker.set(token.speaker, [token]);
  }
  const fixed: SubtitleCue[] = (options.fixed ?? [])
    .map((cue) => ({ start: cue.start, end: cue.end, lines: [cue.text] }))
    .sort((a, b) => a.start - b.start);
  const mediaEnd = options.mediaEnd ?? Number.POSITIVE_INFINITY;

  // Each speaker's words are cut into phrases at their own pauses, whoever speaks in between.
  const speech: SubtitleCue[] = [];
  for (const [speaker, own] of bySpeaker) {
    // Words of no known speaker neither are named nor make others named.
    const others = speechTimes(speaker === undefined ? [] : tokens.filter((t) => t.speaker && t.speaker !== speaker));
    const phrases: Token[][] = [];
    for (const [i, token] of own.entries()) {
      const previous = own[i - 1];
      const phrase = phrases.at(-1);
      if (phrase && previous && token.start - previous.end < pauseSeconds) phrase.push(token);
      else phrases.push([token]);
    }
    let previousStart: number | undefined;
    let previousNeeds = 0;
    for (const [i, phrase] of phrases.entries()) {
      const first = phrase[0] as Token;
      const last = phrase.at(-1) as Token;
      // The speaker's word before the phrase: a cue grows back into the silence after it, or from 0.
      const before = phrases[i - 1]?.at(-1);
      const nextStart = Math.min(
        phrases[i + 1]?.[0]?.start ?? mediaEnd,
        fixed.find((cue) => cue.start >= last.end)?.start ?? Number.POSITIVE_INFINITY,
      );
      const label = (from: number, to: number, previous: number | undefined) => {
        if (!options.labelSpeakers || speaker === undefined) return "";
        if (previous === undefined) return `${speaker}: `;
        // Since the speaker's previous cue started or 5/6 s before this one (a cue may still show), or during it.
        const since = Math.min(previous, (phrase[from] as Token).start - minSeconds);
        return others.saidWithin(since, (phrase[to - 1] as Token).end) ? `${speaker}: ` : "";
      };
      const turnAfter = (k: number) => others.beganWithin((phrase[k] as Token).end, phrase[k + 1]?.start ?? 0);
      // The silence around the phrase, where nobody speaks: a short cue may grow over another speaker's
      // (see below), but a cue that need not is better.
      const roomBefore = first.start - Math.max((before?.end ?? 0) + previousNeeds, others.endBefore(first.start));
      const roomAfter = Math.min(nextStart, others.startAfter(last.end)) - last.end;
      const cues = splitPhrase(phrase, { label, previousStart, turnAfter, roomBefore, roomAfter });
      const lastCue = cues.at(-1) as SubtitleCue;
      previousStart = lastCue.start;
      // A short last cue grows into the silence after it first (see below): the next phrase has the rest.
      previousNeeds = Math.max(0, minSeconds - (lastCue.end - lastCue.start));
      speech.push(...cues);
    }
  }

  const fixedSet = new Set<SubtitleCue>(fixed);
  const cues = [...speech, ...fixed].sort((a, b) => a.start - b.start);
  // Each speech cue's neighbours among its speaker's.
  const previousOwn = new Map<SubtitleCue, SubtitleCue>();
  const nextOwn = new Map<SubtitleCue, SubtitleCue>();
  const lastOwn = new Map<string | undefined, SubtitleCue>();
  for (const cue of cues) {
    if (fixedSet.has(cue)) continue;
    const previous = lastOwn.get(cue.speaker);
    if (previous) {
      previousOwn.set(cue, previous);
      nextOwn.set(previous, cue);
    }
    lastOwn.set(cue.speaker, cue);
  }
  // The latest end of the cues before: the silence after it is nobody's.
  let shownUntil = 0;
  for (const [i, cue] of cues.entries()) {
    if (!fixedSet.has(cue)) {
      const later = (time = Number.POSITIVE_INFINITY) => (time > cue.start ? time : Number.POSITIVE_INFINITY);
      // What a cue keeps clear of: its own speaker's cues, the fixed ones, the media's end. A cue that
      // starts where another of its speaker's (or a fixed one) starts cannot: it shows with it rather than not at all.
      const ownAfter = Math.min(
        later(nextOwn.get(cue)?.start),
        later(fixed.find((f) => f.start > cue.start)?.start),
        later(options.mediaEnd),
      );
      const ownBefore = Math.max(
        previousOwn.get(cue)?.end ?? 0,
        ...fixed.filter((f) => f.start <= cue.start).map((f) => f.end),
      );
      let nextStart = ownAfter;
      for (let j = i + 1; j < cues.length; j++) {
        const next = cues[j] as SubtitleCue;
        if (next.start > cue.start) {
          nextStart = Math.min(nextStart, next.start);
          break;
        }
      }
      // A single word the engine timed over 7 s.
      cue.end = Math.min(cue.end, cue.start + maxSeconds, ownAfter);
      // Too short: into the silence around it, else over other speakers' cues.
      for (const [after, before] of [
        [nextStart, Math.max(ownBefore, shownUntil)],
        [ownAfter, ownBefore],
      ] as const) {
        if (cue.end - cue.start < minSeconds) cue.end = Math.max(cue.end, Math.min(cue.start + minSeconds, after));
        if (cue.end - cue.start < minSeconds) cue.start = Math.min(cue.start, Math.max(cue.end - minSeconds, before));
      }
    }
    shownUntil = Math.max(shownUntil, cue.end);
  }
  return cues.sort((a, b) => a.start - b.start);
}

function timestamp(seconds: number, separator: "," | "."): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(h)}:${pad(m)}:${pad(s)}${separator}${pad(ms % 1000, 3)}`;
}

export function formatSrt(cues: readonly SubtitleCue[]): string {
  return cues
    .map((cue, i) => `${i + 1}\n${timestamp(cue.start, ",")} --> ${timestamp(cue.end, ",")}\n${cue.lines.join("\n")}\n`)
    .join("\n");
}

/** WebVTT reads `&` and `<` as markup and `-->` as a timing line: they are written as character references. */
const escapeVtt = (text: string) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** WebVTT, each cue of a known speaker in a voice span (`<v Speaker 1>`), which players can show or style. */
export function formatVtt(cues: readonly SubtitleCue[]): string {
  const body = cues
    .map((cue) => {
      const voice = cue.speaker ? `<v ${escapeVtt(cue.speaker)}>` : "";
      const text = cue.lines.map(escapeVtt).join("\n");
      return `${timestamp(cue.start, ".")} --> ${timestamp(cue.end, ".")}\n${voice}${text}\n`;
    })
    .join("\n");
  return `WEBVTT\n\n${body}`;
}

export const srtSubtitles = (
  segments: readonly SubtitleSegment[],
  options: Omit<SubtitleOptions, "labelSpeakers"> = {},
) => formatSrt(subtitleCues(segments, { ...options, labelSpeakers: true }));

export const vttSubtitles = (
  segments: readonly SubtitleSegment[],
  options: Omit<SubtitleOptions, "labelSpeakers"> = {},
) => formatVtt(subtitleCues(segments, options));
