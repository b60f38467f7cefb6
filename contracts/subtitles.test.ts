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

type Options = { speakers: boolean; minutes: number };

/**
 * A synthetic transcript with realistic timings: words of 0.15–0.6 s, gaps of 0.05–1.5 s (mostly
 * short), sentences of 5–25 words with commas, segments of one to three sentences; among them
 * 45-second segments with no pause, very long words, 0.3 s one-word segments, segments with text
 * and no words, and speakers taking turns.
 */
function transcript(seed: number, { speakers, minutes }: Options): AvSegment[] {
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
  return segments;
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

/** The words of the input: each segment's words, or its text's (whose times are not known). */
const inputWords = (segments: AvSegment[]) =>
  segments.flatMap((s) =>
    s.words.length > 0
      ? s.words.map((w) => ({ text: w.text, start: w.start, end: w.end, speaker: s.speaker, timed: true }))
      : s.text.split(" ").map((text) => ({ text, start: s.start, end: s.end, speaker: s.speaker, timed: false })),
  );

/** The rules as stated, not read from SUBTITLE_RULES: loosening one there must fail here. */
const maxLines = 2;
const maxLineChars = 42;
const minSeconds = 5 / 6;
const maxSeconds = 7;
const pauseSeconds = 0.7;
/** Timestamps are whole milliseconds: a time may move by half of one either way. */
const MS = 0.0011;

/** A cue's lines as shown (SRT's label in, WebVTT's markup out) and its words (no label). */
type Reading = { speaker: string | undefined; lines: { shown: string; words: string }[] };

/**
 * Checks the rendered cues against the rules and the input: the words of the cues must be the input's
 * words in order, each once.
 */
function checkCues(cues: ParsedCue[], segments: AvSegment[], read: (cue: ParsedCue, previous?: string) => Reading) {
  const words = inputWords(segments);
  let w = 0;
  let boxedIn = 0;
  let previousSpeaker: string | undefined;
  for (const [i, cue] of cues.entries()) {
    const at = `cue ${i + 1} (${cue.lines.join(" / ")})`;
    const { speaker, lines } = read(cue, previousSpeaker);
    expect(cue.lines.length, at).toBeLessThanOrEqual(maxLines);
    for (const line of lines) {
      const loneLongWord = !line.words.includes(" ") && line.words.length > maxLineChars;
      if (!loneLongWord) expect(line.shown.length, `${at}: "${line.shown}"`).toBeLessThanOrEqual(maxLineChars);
    }
    const duration = cue.end - cue.start;
    expect(duration, `${at} lasts`).toBeLessThanOrEqual(maxSeconds + MS);
    const next = cues[i + 1];
    if (next && duration < minSeconds - MS) {
      // Shorter only when boxed in: other cues right before and after it left no silence to grow into.
      expect(next.start - cue.end, `${at} lasts ${duration} s`).toBeLessThan(MS);
      expect(cue.start - (cues[i - 1]?.end ?? 0), `${at} lasts ${duration} s`).toBeLessThan(MS);
      boxedIn++;
    }
    if (next) expect(cue.end, `${at} ends before the next`).toBeLessThanOrEqual(next.start);
    // Its words: the next ones of the input, all one speaker's, shown while said, no long pause among them.
    const texts = lines
      .map((line) => line.words)
      .filter((text) => text !== "")
      .join(" ")
      .split(" ");
    const own = words.slice(w, w + texts.length);
    expect(
      own.map((word) => word.text),
      at,
    ).toEqual(texts);
    for (const word of own) expect(word.speaker, `${at} speaker`).toBe(speaker);
    for (const [k, word] of own.entries()) {
      const before = own[k - 1];
      if (before?.timed && word.timed) expect(word.start - before.end, `${at} has a pause`).toBeLessThan(pauseSeconds);
    }
    const first = own[0];
    const last = own.at(-1);
    if (first?.timed) expect(cue.start, `${at} starts`).toBeLessThanOrEqual(first.start + MS);
    if (last?.timed) expect(cue.end, `${at} ends`).toBeGreaterThanOrEqual(last.end - MS);
    w += texts.length;
    previousSpeaker = speaker ?? previousSpeaker;
  }
  expect(w, "every word shown").toBe(words.length);
  return { boxedIn };
}

/** Seed 31 has two one-word turns boxed in by the other speaker (see checkCues). */
const SEEDS = [1, 2, 3, 31, 42, 2024];
const generated = SEEDS.flatMap((seed) =>
  [false, true].map((speakers) => ({ seed, speakers, segments: transcript(seed, { speakers, minutes: 6 }) })),
);

/** Renders SRT, parses it back and checks it; returns how many cues were boxed in. */
function checkSrt(segments: AvSegment[], speakers: boolean): number {
  const cues = parseSrt(srtSubtitles(segments, { mediaEnd: (segments.at(-1)?.end ?? 0) + 0.2 }));
  expect(cues.length).toBeGreaterThan(50);
  return checkCues(cues, segments, (cue, previous) => {
    const label = /^(Speaker \d+): ?/.exec(cue.lines[0] ?? "");
    const speaker = label?.[1] ?? (speakers ? previous : undefined);
    // The label is there exactly when the speaker changes.
    expect(Boolean(label), `label on "${cue.lines[0]}"`).toBe(speakers && speaker !== previous);
    const lines = cue.lines.map((shown, l) => ({
      shown,
      words: l === 0 && label ? shown.slice(label[0].length) : shown,
    }));
    return { speaker, lines };
  }).boxedIn;
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
  });

  for (const { seed, speakers, segments } of generated) {
    const name = `seed ${seed}, ${speakers ? "speakers" : "no speakers"}`;
    it(`SRT follows the rules (${name})`, () => {
      checkSrt(segments, speakers);
    });
    it(`WebVTT follows the rules (${name})`, () => {
      checkVtt(segments, speakers);
    });
  }

  it("leave a cue short only where other speakers box it in, rarely", () => {
    const boxedIn = generated.reduce((sum, g) => sum + checkSrt(g.segments, g.speakers), 0);
    expect(boxedIn).toBeGreaterThan(0);
    expect(boxedIn).toBeLessThanOrEqual(3);
  });
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

  it("keeps a cue short where neighbours leave no room, and the last one within the media", () => {
    const cues = subtitleCues(
      [
        segment("Did it work?", 0, "Speaker 1"),
        { start: 1.1, end: 1.4, text: "Yes.", words: said("Yes.", 1.1, 0.3), speaker: "Speaker 2" },
        segment("Good.", 1.5, "Speaker 1", 0.3),
      ],
      { mediaEnd: 2 },
    );
    // "Yes." grows back into the silence before it, to where "Did it work?" ends; "Good." stops at the media's end.
    expect(cues.map((c) => [c.start, c.end])).toEqual([
      [0, 1],
      [1, 1.5],
      [1.5, 2],
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
