import type { AvSegment } from "../../contracts/results";

type AvWord = AvSegment["words"][number];

const WORD_LINE = /^(\S+) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?) (-?\d+(?:\.\d+)?)$/;
/** `<s>`, `<sil>`, `[NOISE]`, `++GARBAGE++`: markers and fillers, not words. */
const FILLER = /^(<.*>|\[.*\]|\+\+.*\+\+)$/;

/**
 * Reads `pocketsphinx_continuous -time yes` output: for each utterance a hypothesis line, then one
 * `word start end probability` line per token between `<s>` and `</s>`. Each utterance with real words becomes
 * a segment spanning its first to last word. Pronunciation variants (`word(2)`) are folded into the word.
 */
export function parsePocketsphinxTimes(stdout: string): AvSegment[] {
  const segments: AvSegment[] = [];
  let words: AvWord[] = [];
  const closeUtterance = () => {
    const first = words[0];
    const last = words.at(-1);
    if (first && last) {
      segments.push({ start: first.start, end: last.end, text: words.map((w) => w.text).join(" "), words });
    }
    words = [];
  };

  for (const line of stdout.split(/\r?\n/)) {
    const match = WORD_LINE.exec(line.trim());
    if (!match) continue; // hypothesis lines
    const [, token = "", start, end, probability] = match;
    if (token === "<s>" || token === "</s>") {
      closeUtterance();
      continue;
    }
    if (FILLER.test(token)) continue;
    words.push({
      text: token.replace(/\(\d+\)$/, ""),
      start: Number(start),
      end: Number(end),
      confidence: Math.min(Math.max(Number(probability), 0), 1),
    });
  }
  closeUtterance();
  return segments;
}

/** The end (seconds) of the utterance a `-time yes` line closes (`</s> start end probability`); null for other lines. */
export function utteranceEnd(line: string): number | null {
  const match = WORD_LINE.exec(line.trim());
  return match && match[1] === "</s>" ? Number(match[3]) : null;
}
