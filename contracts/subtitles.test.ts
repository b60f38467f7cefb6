import { describe, expect, it } from "vitest";
import type { AvSegment } from "./results";
import { srtSubtitles, subtitleCues, vttSubtitles } from "./subtitles";

/** mulberry32: a tiny seeded PRNG, so a failing transcript can be made again from its seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    between: (low: number, high: number) => low + next() * (high - low),
    int: (low: number, high: number) => low + Math.floor(next() * (high - low + 1)),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
    chance: (p: number) => next() < p,
  };
}

const VOCABULARY = (
  "the a an we they it this that people meeting report budget quarter numbers customer team really " +
  "think know said going want need look make take give told about would could should because which " +
  "and but or so to of in for with on at from by after before between through during without " +
  "production engineering responsibility infrastructure communication international understand " +
  "yesterday tomorrow morning afternoon everyone something anything nothing important difficult " +
  "I you he she was were is are have has had do did not just very much more less only also then " +
  "Monday London Cloudflare O'Brien well-known state-of-the-art"
).split(" ");
const LONG_WORDS = [
  "pneumonoultramicroscopicsilicovolcanoconiosis-like",
  "https://example.com/a/very/long/path/to/some/document.pdf",
];

type Options = { speakers: boolean; minutes: number; overlaps?: boolean };

const BACKCHANNELS = ["Yeah.", "Right.", "Mm-hmm.", "Okay.", "Sure.", "Yes."];

/**
 * A synthetic transcript with realistic timings: words of 0.15–0.6 s, gaps of 0.05–1.5 s (mostly
 * short), sentences of 5–25 words with commas, segments of one to three sentences; among them
 * 45-second segments with no pause, very long words, 0.3 s one-word segments, segments with text
 * and no words, and speakers taking turns. With `overlaps` (a call recorded one party per channel),
 * the other party also speaks during turns: a backchannel ("Yeah.") starting inside a long turn, or
 * a few words starting at the very instant the turn does. Each party's own words never overlap.
 */
function transcript(seed: number, { speakers, minutes, overlaps = false }: Options): AvSegment[] {
  const r = prng(seed);
  const gap = () => (r.chance(0.8) ? r.between(0.05, 0.3) : r.chance(0.6) ? r.between(0.3, 0.9) : r.between(0.9, 1.5));
  const segments: AvSegment[] = [];
  let t = r.between(0, 2);
  let turn = 0;
  const sentence = () => {
    const length = r.int(5, 25);
    const words: string[] = [];
    for (let i = 0; i < length; i++) {
      let word = r.chance(0.005) ? r.pick(LONG_WORDS) : r.pick(VOCABULARY);
      if (i === 0) word = word[0]?.toUpperCase() + word.slice(1);
      if (i === length - 1) word += r.chance(0.7) ? "." : "?";
      else if (r.chance(0.1)) word += r.pick([",", ",", ";", ":"]);
      words.push(word);
    }
    return words;
  };
  while (t < minutes * 60) {
    const speaker = speakers ? `Speaker ${(turn % 2) + 1}` : undefined;
    if (speakers && r.chance(0.3)) turn++;
    const kind = r.next();
    let texts: string[];
    let gapOf = gap;
    if (kind < 0.06) {
      // 45 s of speech with no pause in it.
      texts = [];
      gapOf = () => r.between(0.05, 0.2);
      while (texts.length < 120) texts.push(...sentence());
    } else if (kind < 0.14) {
      texts = [r.pick(["Yes.", "No.", "Right.", "Okay?", "Mm-hmm.", "Sure."])];
    } else {
      texts = Array.from({ length: r.int(1, 3) }, sentence).flat();
    }
    const start = t;
    const words = [];
    for (const [i, text] of texts.entries()) {
      if (i > 0) t += gapOf();
      const duration = texts.length === 1 ? 0.3 : r.between(0.15, 0.6);
      words.push({ text, start: t, end: t + duration, confidence: 0.9 });
      t += duration;
      if (kind < 0.06 && t - start > 45) break;
    }
    const used = words.map((w) => w.text);
    const wordless = kind >= 0.14 && r.chance(0.05);
    segments.push({
      start,
      end: t,
      text: used.join(" "),
      words: wordless ? [] : words,
      ...(speaker ? { speaker } : {}),
    });
    t += gap();
  }
  if (!overlaps) return segments;
  // The other party's words, each within one turn: its own turns lie outside that time, so they never overlap.
  for (const turn of [...segments]) {
    const other = turn.speaker === "Speaker 1" ? "Speaker 2" : "Speaker 1";
    const words: AvSegment["words"] = [];
    if (turn.end - turn.start > 3 && r.chance(0.5)) {
      const at = r.between(turn.start + 0.1, turn.end - 0.5);
      words.push({ text: r.pick(BACKCHANNELS), start: at, end: at + 0.3, confidence: 0.9 });
    } else if (r.chance(0.2)) {
      let at = turn.start;
      for (const text of sentence().slice(0, r.int(1, 6))) {
        const duration = r.between(0.15, 0.5);
        if (at + duration > turn.end) break;
        words.push({ text, start: at, end: at + duration, confidence: 0.9 });
        at += duration + r.between(0.05, 0.2);
      }
    }
    const first = words[0];
    const last = words.at(-1);
    if (!first || !last) continue;
    const text = words.map((w) => w.text).join(" ");
    segments.push({ start: first.start, end: last.end, text, words, speaker: other });
  }
  return segments.sort((a, b) => a.start - b.start);
}

type ParsedCue = { start: number; end: number; lines: string[] };

const seconds = (stamp: string) => {
  const [h, m, s] = stamp.replace(",", ".").split(":").map(Number);
  return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
};

function parseCues(blocks: string[]): ParsedCue[] {
  return blocks.map((block) => {
    const [timing, ...lines] = block.split("\n");
    const match = /^(\S+) --> (\S+)$/.exec(timing ?? "");
    if (!match) throw new Error(`Not a timing line: ${timing}`);
    return { start: seconds(match[1] ?? ""), end: seconds(match[2] ?? ""), lines };
  });
}

function parseSrt(srt: string): ParsedCue[] {
  const blocks = srt.trimEnd().split("\n\n");
  expect(blocks.map((block) => block.split("\n")[0])).toEqual(blocks.map((_, i) => String(i + 1)));
  return parseCues(blocks.map((block) => block.split("\n").slice(1).join("\n")));
}

function parseVtt(vtt: string): ParsedCue[] {
  expect(vtt.startsWith("WEBVTT\n\n")).toBe(true);
  return parseCues(vtt.slice("WEBVTT\n\n".length).trimEnd().split("\n\n"));
}

const unescapeVtt = (text: string) => text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

type InputWord = { text: string; start: number; end: number; speaker: string | undefined; timed: boolean };

/**
 * The words of the input, in the order of their segments' starts: each segment's words, or its text's,
 * spread over its time by length as the builder does (`timed` false: the times are the builder's guess).
 */
const inputWords = (segments: AvSegment[]): InputWord[] =>
  [...segments]
    .sort((a, b) => a.start - b.start)
    .flatMap((s): InputWord[] => {
      if (s.words.length > 0) return s.words.map((w) => ({ ...w, speaker: s.speaker, timed: true }));
      const texts = s.text.split(" ");
      const total = texts.reduce((sum, text) => sum + text.length, 0);
      let at = s.start;
      return texts.map((text) => {
        const start = at;
        at += ((s.end - s.start) * text.length) / total;
        return { text, start, end: at, speaker: s.speaker, timed: false };
      });
    });

/** The rules as stated, not read from SUBTITLE_RULES: loosening one there must fail here. */
const maxLines = 2;
const maxLineChars = 42;
const minSeconds = 5 / 6;
const maxSeconds = 7;
const pauseSeconds = 0.7;
/** Timestamps are whole milliseconds: a time may move by half of one either way. */
const MS = 0.0011;

/**
 * A cue's speaker, its lines as shown (SRT's label in, WebVTT's markup out) and its words (no label),
 * and for SRT whether the speaker is named.
 */
type Reading = { speaker: string | undefined; lines: { shown: string; words: string }[]; labelled?: boolean };

/**
 * Checks the rendered cues against the rules and the input: in start order; each speaker's words in
 * them once and in order, each on screen while said; each speaker's cues one after another, never
 * overlapping (another speaker's may); 5/6 s to 7 s, shorter only where the media ends. SRT names the
 * speaker on its first cue and where another speaker spoke since its previous one or speaks during it.
 */
function checkCues(
  cues: ParsedCue[],
  segments: AvSegment[],
  read: (cue: ParsedCue, i: number) => Reading,
  mediaEnd = Number.POSITIVE_INFINITY,
) {
  const words = inputWords(segments);
  const ownWords = new Map<string | undefined, InputWord[]>();
  for (const word of words) {
    const own = ownWords.get(word.speaker);
    if (own) own.push(word);
    else ownWords.set(word.speaker, [word]);
  }
  const next = new Map<string | undefined, number>();
  const lastCue = new Map<string | undefined, ParsedCue>();
  // Where each speaker's last cue's first word starts, and who says each cue.
  const previousStart = new Map<string | undefined, number>();
  const speakers: (string | undefined)[] = [];
  for (const [i, cue] of cues.entries()) {
    const at = `cue ${i + 1} (${cue.start}–${cue.end}: ${cue.lines.join(" / ")})`;
    const { speaker, lines, labelled } = read(cue, i);
    expect(cue.lines.length, at).toBeLessThanOrEqual(maxLines);
    for (const line of lines) {
      const loneLongWord = !line.words.includes(" ") && line.words.length > maxLineChars;
      if (!loneLongWord) expect(line.shown.length, `${at}: "${line.shown}"`).toBeLessThanOrEqual(maxLineChars);
    }
    const duration = cue.end - cue.start;
    expect(duration, `${at} lasts`).toBeGreaterThan(0);
    expect(duration, `${at} lasts`).toBeLessThanOrEqual(maxSeconds + MS);
    if (cue.end < mediaEnd - MS) expect(duration, `${at} lasts`).toBeGreaterThanOrEqual(minSeconds - MS);
    expect(cue.start, `${at} starts before the one before it`).toBeGreaterThanOrEqual(cues[i - 1]?.start ?? 0);
    const before = lastCue.get(speaker);
    if (before)
      expect(cue.start, `${at} starts before its speaker's previous cue ends`).toBeGreaterThanOrEqual(before.end);
    lastCue.set(speaker, cue);
    // Its words: the speaker's next ones, shown while said, no long pause among them.
    const texts = lines
      .map((line) => line.words)
      .filter((text) => text !== "")
      .join(" ")
      .split(" ");
    const w = next.get(speaker) ?? 0;
    const all = ownWords.get(speaker) ?? [];
    const own = all.slice(w, w + texts.length);
    expect(
      own.map((word) => word.text),
      `${at} of ${speaker}`,
    ).toEqual(texts);
    for (const [k, word] of own.entries()) {
      const before = own[k - 1];
      if (before?.timed && word.timed) expect(word.start - before.end, `${at} has a pause`).toBeLessThan(pauseSeconds);
    }
    const first = own[0] as InputWord;
    const last = own.at(-1) as InputWord;
    if (first.timed) expect(cue.start, `${at} starts`).toBeLessThanOrEqual(first.start + MS);
    if (last.timed) expect(cue.end, `${at} ends`).toBeGreaterThanOrEqual(last.end - MS);
    if (labelled !== undefined) {
      // Named on the speaker's first cue, and where another speaker spoke since the speaker's previous
      // cue started or less than 5/6 s before this one (whose cue may still show), or speaks during it.
      const since = Math.min(previousStart.get(speaker) ?? Number.NEGATIVE_INFINITY, first.start - minSeconds);
      const other = words.some((o) => o.speaker && o.speaker !== speaker && o.start < last.end && o.end > since);
      expect(labelled, `${at} names ${speaker}`).toBe(Boolean(speaker) && (w === 0 || other));
      // So a cue after another speaker's in the file is named.
      if (i > 0 && speakers[i - 1] !== speaker) expect(labelled, `${at} after ${speakers[i - 1]}`).toBe(true);
    }
    next.set(speaker, w + texts.length);
    previousStart.set(speaker, first.start);
    speakers.push(speaker);
  }
  for (const [speaker, own] of ownWords)
    expect(next.get(speaker) ?? 0, `every word of ${speaker} shown`).toBe(own.length);
}

/** Seed 31 has two one-word turns with less than 5/6 s between the other speaker's: their cues overlap. */
const SEEDS = [1, 2, 3, 31, 42, 2024];
const generated = SEEDS.flatMap((seed) =>
  [
    { speakers: false, overlaps: false },
    { speakers: true, overlaps: false },
    { speakers: true, overlaps: true },
  ].map((options) => ({ seed, ...options, segments: transcript(seed, { ...options, minutes: 6 }) })),
);

/** Renders SRT, parses it back and checks it. */
function checkSrt(segments: AvSegment[], speakers: boolean): void {
  const mediaEnd = Math.max(...segments.map((s) => s.end)) + 0.2;
  const built = subtitleCues(segments, { mediaEnd, labelSpeakers: true });
  const cues = parseSrt(srtSubtitles(segments, { mediaEnd }));
  expect(cues.length).toBeGreaterThan(50);
  expect(cues.map((cue) => cue.lines)).toEqual(built.map((cue) => cue.lines));
  checkCues(
    cues,
    segments,
    (cue, i) => {
      // Which speaker says an unnamed cue, SRT does not say: the builder's cue does (checked against the words).
      const speaker = built[i]?.speaker;
      expect(Boolean(speaker)).toBe(speakers);
      const label = speaker && cue.lines[0]?.startsWith(`${speaker}: `) ? `${speaker}: ` : "";
      if (!label) expect(cue.lines[0], "no other speaker's name").not.toMatch(/^Speaker \d+: /);
      const lines = cue.lines.map((shown, l) => ({ shown, words: l === 0 ? shown.slice(label.length) : shown }));
      return { speaker, lines, labelled: label !== "" };
    },
    mediaEnd,
  );
}

/** Renders WebVTT, parses it back and checks it. */
function checkVtt(segments: AvSegment[], speakers: boolean): void {
  const cues = parseVtt(vttSubtitles(segments));
  checkCues(cues, segments, (cue) => {
    const voice = /^<v ([^>]+)>/.exec(cue.lines[0] ?? "");
    expect(Boolean(voice), `voice on "${cue.lines[0]}"`).toBe(speakers);
    const lines = cue.lines.map((line, l) => {
      const shown = unescapeVtt(l === 0 && voice ? line.slice(voice[0].length) : line);
      return { shown, words: shown };
    });
    return { speaker: voice?.[1], lines };
  });
}

describe("subtitles of generated transcripts", () => {
  it("are generated with the hard cases in them", () => {
    const segments = generated.flatMap((g) => g.segments);
    expect(segments.filter((s) => s.end - s.start > 44 && s.words.length > 60).length).toBeGreaterThan(5);
    expect(segments.filter((s) => s.words.length === 1 && s.end - s.start < 0.35).length).toBeGreaterThan(10);
    expect(segments.filter((s) => s.words.length === 0).length).toBeGreaterThan(5);
    expect(segments.filter((s) => s.words.some((w) => w.text.length > maxLineChars)).length).toBeGreaterThan(3);
    const overlapping = generated.filter((g) => g.overlaps).flatMap((g) => g.segments);
    const during = (s: AvSegment) =>
      overlapping.some((t) => t.speaker !== s.speaker && t.start < s.start && s.start < t.end - 0.5);
    expect(overlapping.filter((s) => s.words.length === 1 && during(s)).length).toBeGreaterThan(30);
    const together = (s: AvSegment) => overlapping.some((t) => t.speaker !== s.speaker && t.start === s.start);
    expect(overlapping.filter(together).length).toBeGreaterThan(10);
  });

  it("show the cues of speakers talking at once together", () => {
    let together = 0;
    let atOnce = 0;
    for (const { segments } of generated.filter((g) => g.overlaps)) {
      const cues = subtitleCues(segments);
      for (const [i, cue] of cues.entries()) {
        for (const other of cues.slice(i + 1)) {
          if (other.start >= cue.end) break;
          if (other.speaker !== cue.speaker) together++;
          if (other.start === cue.start) atOnce++;
        }
      }
    }
    expect(together).toBeGreaterThan(30);
    expect(atOnce).toBeGreaterThan(0);
  });

  for (const { seed, speakers, overlaps, segments } of generated) {
    const name = `seed ${seed}, ${overlaps ? "overlapping speakers" : speakers ? "speakers" : "no speakers"}`;
    it(`SRT follows the rules (${name})`, () => {
      checkSrt(segments, speakers);
    });
    it(`WebVTT follows the rules (${name})`, () => {
      checkVtt(segments, speakers);
    });
  }
});

/** Words said one after another from `start`, each `each` s long with `gap` s between. */
function said(text: string, start = 0, each = 0.3, gap = 0.05) {
  return text.split(" ").map((word, i) => {
    const at = start + i * (each + gap);
    return { text: word, start: at, end: at + each, confidence: 0.9 };
  });
}
const segment = (text: string, start = 0, speaker?: string, each = 0.3, gap = 0.05): AvSegment => {
  const words = said(text, start, each, gap);
  return { start, end: words.at(-1)?.end ?? start, text, words, ...(speaker ? { speaker } : {}) };
};
const linesOf = (segments: AvSegment[], options = {}) => subtitleCues(segments, options).map((cue) => cue.lines);

describe("subtitleCues", () => {
  it("breaks lines after a comma rather than mid-phrase", () => {
    expect(linesOf([segment("We moved all of the infrastructure costs, and the marketing spend was cut")])).toEqual([
      ["We moved all of the infrastructure costs,", "and the marketing spend was cut"],
    ]);
  });

  it("breaks lines before a conjunction or preposition rather than after an article", () => {
    expect(linesOf([segment("I would like to talk about the budget because it changed last week")])).toEqual([
      ["I would like to talk about the budget", "because it changed last week"],
    ]);
    expect(linesOf([segment("Please send the quarterly report to the whole team of engineers")])).toEqual([
      ["Please send the quarterly report", "to the whole team of engineers"],
    ]);
  });

  it("avoids a line of one word when a balanced break exists", () => {
    expect(linesOf([segment("Right, we moved the costs into the new budget")])).toEqual([
      ["Right, we moved the costs", "into the new budget"],
    ]);
    // Even when the other break is no natural one.
    expect(linesOf([segment("Okay, we moved every single cost somewhere else")])).toEqual([
      ["Okay, we moved every", "single cost somewhere else"],
    ]);
  });

  it("ends a cue at a sentence end once the cue is full", () => {
    const text = "We looked at the numbers for the third quarter yesterday. They look good.";
    expect(linesOf([segment(text, 0, undefined, 0.25)])).toEqual([
      ["We looked at the numbers", "for the third quarter yesterday."],
      ["They look good."],
    ]);
  });

  it("ends a cue at a pause of 0.7 s or more, not at a shorter one", () => {
    const words = [...said("We are ready", 0), ...said("to begin", 1.75)];
    const text = "We are ready to begin";
    expect(linesOf([{ start: 0, end: 2.4, text, words }])).toEqual([["We are ready"], ["to begin"]]);
    const closer = [...said("We are ready", 0), ...said("to begin", 1.6)];
    expect(linesOf([{ start: 0, end: 2.3, text, words: closer }])).toEqual([["We are ready to begin"]]);
  });

  it("never puts two speakers in one cue", () => {
    const cues = subtitleCues([segment("Are you ready?", 0, "Speaker 1"), segment("Yes.", 1.1, "Speaker 2")]);
    expect(cues.map((c) => [c.speaker, c.lines])).toEqual([
      ["Speaker 1", ["Are you ready?"]],
      ["Speaker 2", ["Yes."]],
    ]);
  });

  it("stretches a 0.31 s one-word segment to 5/6 s, into the silence after it or else before it", () => {
    const [alone] = subtitleCues([{ start: 10, end: 10.31, text: "Yes.", words: said("Yes.", 10, 0.31) }]);
    expect(alone).toMatchObject({ start: 10, lines: ["Yes."] });
    expect(alone?.end).toBeCloseTo(10 + 5 / 6, 6);

    // The next speaker starts 0.2 s after it: the cue starts earlier instead.
    const cues = subtitleCues([
      segment("Did it work?", 7, "Speaker 1"),
      { start: 10, end: 10.31, text: "Yes.", words: said("Yes.", 10, 0.31), speaker: "Speaker 2" },
      segment("Good, then we can go on.", 10.51, "Speaker 1"),
    ]);
    expect(cues[1]?.end).toBeCloseTo(10.51, 6);
    expect(cues[1]?.start).toBeCloseTo(10.51 - 5 / 6, 6);
    expect(cues[0]?.end).toBeLessThanOrEqual(cues[1]?.start ?? 0);
  });

  it("grows a short cue into the silence around it first, then over another speaker's cue, not past the media", () => {
    const exchange = [
      segment("Did it work?", 0, "Speaker 1"),
      { start: 1.1, end: 1.4, text: "Yes.", words: said("Yes.", 1.1, 0.3), speaker: "Speaker 2" },
      segment("Good.", 1.5, "Speaker 1", 0.3),
    ];
    // "Yes." grows back to where "Did it work?" ends, then on over "Good." (which is said while it shows).
    const cues = subtitleCues(exchange);
    expect(cues.map((c) => [c.speaker, c.lines, c.start])).toEqual([
      ["Speaker 1", ["Did it work?"], 0],
      ["Speaker 2", ["Yes."], 1],
      ["Speaker 1", ["Good."], 1.5],
    ]);
    expect(cues.map((c) => c.end)).toEqual([1, 1 + 5 / 6, 1.5 + 5 / 6]);
    // The media ends 0.2 s after "Yes.": it grows back over "Did it work?" instead.
    const last = subtitleCues(exchange.slice(0, 2), { mediaEnd: 1.6 });
    expect(last.map((c) => [c.start, c.end])).toEqual([
      [0, 1],
      [1.6 - 5 / 6, 1.6],
    ]);
  });

  it("shows another speaker's word said during a long turn alongside it, cutting neither (split channels)", () => {
    const turn = segment(
      "I think we should move all of the infrastructure costs into the next quarter, because the budget is tight.",
      10,
      "Speaker 1",
    );
    const cues = subtitleCues([turn, segment("Yeah.", 10.5, "Speaker 2")]);
    expect(cues.map((c) => [c.speaker, c.lines, c.start, c.end])).toEqual([
      ["Speaker 1", ["I think we should move all", "of the infrastructure costs"], 10, turn.words[9]?.end],
      ["Speaker 2", ["Yeah."], 10.5, 10.5 + 5 / 6],
      ["Speaker 1", ["into the next quarter,", "because the budget is tight."], 13.5, turn.end],
    ]);
  });

  it("shows two turns that start at the same instant together, each for as long as it is said", () => {
    const question = segment("So where do we start?", 10, "Speaker 1");
    const answer = segment("I think we start here.", 12, "Speaker 2");
    const cues = subtitleCues([question, segment("Yeah.", 10, "Speaker 2"), answer]);
    expect(cues.map((c) => [c.speaker, c.lines, c.start, c.end])).toEqual([
      ["Speaker 1", ["So where do we start?"], 10, question.end],
      ["Speaker 2", ["Yeah."], 10, 10 + 5 / 6],
      ["Speaker 2", ["I think we start here."], 12, answer.end],
    ]);
  });

  it("never lasts more than 7 s, even for one word timed longer", () => {
    const [cue] = subtitleCues([{ start: 0, end: 12, text: "Ooooh", words: said("Ooooh", 0, 12) }]);
    expect(cue).toMatchObject({ start: 0, end: 7 });
  });

  it("spreads a segment without words over its time by length, in cues of at most 7 s", () => {
    const text =
      "This segment came without word timings, so its text is spread over its time; it is long enough to need three cues at least, and each of them keeps to the rules.";
    const cues = subtitleCues([{ start: 5, end: 20, text, words: [] }]);
    expect(cues.length).toBeGreaterThanOrEqual(3);
    expect(cues[0]?.start).toBe(5);
    expect(cues.at(-1)?.end).toBeCloseTo(20, 6);
    for (const cue of cues) {
      expect(cue.end - cue.start).toBeLessThanOrEqual(7);
      for (const line of cue.lines) expect(line.length).toBeLessThanOrEqual(42);
    }
    expect(cues.flatMap((c) => c.lines).join(" ")).toBe(text);
  });

  it("puts a word longer than a line alone on its line", () => {
    const long = "https://example.com/a/very/long/path/to/some/document.pdf";
    expect(linesOf([segment(`Open ${long} now`)])).toEqual([["Open", long], ["now"]]);
  });

  it("keeps speech cues clear of fixed cues", () => {
    const cues = subtitleCues([segment("Hi.", 9.5)], { fixed: [{ start: 10, end: 20, text: "[gap]" }] });
    expect(cues.map((c) => [c.start, c.end, c.lines])).toEqual([
      [10 - 5 / 6, 10, ["Hi."]],
      [10, 20, ["[gap]"]],
    ]);
    // Two speakers at once before it: each grows back instead, the second over the first.
    const both = subtitleCues([segment("Hi.", 9.5, "Speaker 1"), segment("Yes.", 9.6, "Speaker 2")], {
      fixed: [{ start: 10, end: 20, text: "[gap]" }],
    });
    expect(both.map((c) => [c.start, c.end, c.lines])).toEqual([
      [9.8 - 5 / 6, 9.8, ["Hi."]],
      [10 - 5 / 6, 10, ["Yes."]],
      [10, 20, ["[gap]"]],
    ]);
  });
});

describe("SRT and WebVTT text", () => {
  const dialogue = [
    segment("Are you ready?", 0, "Speaker 1"),
    segment("Almost, give me a minute.", 1.5, "Speaker 2"),
    segment("I need to find the file first.", 4, "Speaker 2"),
    segment("Okay.", 7, "Speaker 1"),
  ];

  it("SRT names the speaker where the speaker changes", () => {
    expect(srtSubtitles(dialogue)).toBe(
      [
        "1\n00:00:00.000 --> 00:00:01.000\nSpeaker 1: Are you ready?\n",
        "2\n00:00:01.500 --> 00:00:03.200\nSpeaker 2: Almost, give me a minute.\n",
        "3\n00:00:04.000 --> 00:00:06.400\nI need to find the file first.\n",
        "4\n00:00:07.000 --> 00:00:07.833\nSpeaker 1: Okay.\n",
      ]
        .join("\n")
        .replace(/(\d\d)\.(\d\d\d)/g, "$1,$2"),
    );
  });

  it("SRT names the speakers of cues said at the same time", () => {
    const turn = segment(
      "We moved the costs into the next quarter, because the budget is tight. The team agreed to it on Monday.",
      0,
      "Speaker 1",
    );
    const srt = srtSubtitles([turn, segment("Right.", 5, "Speaker 2"), segment("And the rest?", 7.5, "Speaker 1")]);
    // The second cue of the turn is named as "Right." is said while it shows, and the last as it follows "Right.".
    expect(srt).toBe(
      [
        "1\n00:00:00.000 --> 00:00:02.750\nSpeaker 1: We moved the costs\ninto the next quarter,\n",
        "2\n00:00:02.800 --> 00:00:06.950\nSpeaker 1: because the budget is tight.\nThe team agreed to it on Monday.\n",
        "3\n00:00:05.000 --> 00:00:05.833\nSpeaker 2: Right.\n",
        "4\n00:00:07.500 --> 00:00:08.500\nSpeaker 1: And the rest?\n",
      ]
        .join("\n")
        .replace(/(\d\d)\.(\d\d\d)/g, "$1,$2"),
    );
  });

  it("WebVTT puts each cue of a known speaker in a voice span", () => {
    expect(vttSubtitles(dialogue)).toBe(
      "WEBVTT\n\n" +
        [
          "00:00:00.000 --> 00:00:01.000\n<v Speaker 1>Are you ready?\n",
          "00:00:01.500 --> 00:00:03.200\n<v Speaker 2>Almost, give me a minute.\n",
          "00:00:04.000 --> 00:00:06.400\n<v Speaker 2>I need to find the file first.\n",
          "00:00:07.000 --> 00:00:07.833\n<v Speaker 1>Okay.\n",
        ].join("\n"),
    );
  });

  it("WebVTT escapes what would be read as markup or a timing line", () => {
    const vtt = vttSubtitles([segment("AT&T <b>said</b> a --> b", 0, "Q&A <host>")]);
    expect(vtt).toBe(
      "WEBVTT\n\n00:00:00.000 --> 00:00:01.700\n<v Q&amp;A &lt;host&gt;>AT&amp;T &lt;b&gt;said&lt;/b&gt; a --&gt; b\n",
    );
  });
});
