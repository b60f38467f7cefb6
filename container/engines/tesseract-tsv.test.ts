import { describe, expect, it } from "vitest";
import { parseTesseractTsv } from "./tesseract-tsv";

/** Real `tesseract ... tsv` rows (tabs), trimmed; plus a blank word and a second paragraph in block 2. */
const TSV = [
  "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext",
  "1\t1\t0\t0\t0\t0\t0\t0\t1240\t400\t-1\t",
  "2\t1\t1\t0\t0\t0\t60\t69\t638\t100\t-1\t",
  "3\t1\t1\t1\t0\t0\t60\t69\t638\t100\t-1\t",
  "4\t1\t1\t1\t1\t0\t60\t69\t638\t40\t-1\t",
  "5\t1\t1\t1\t1\t1\t60\t69\t72\t32\t95.576767\tThe",
  "5\t1\t1\t1\t1\t2\t149\t69\t104\t40\t96.990517\tquick",
  "5\t1\t1\t1\t1\t3\t270\t69\t115\t32\t0\tbrown",
  "4\t1\t1\t1\t2\t0\t61\t129\t595\t40\t-1\t",
  "5\t1\t1\t1\t2\t1\t61\t129\t63\t32\t96.425201\tthe",
  "5\t1\t1\t1\t2\t2\t143\t129\t75\t40\t95\t ",
  "5\t1\t1\t1\t2\t3\t518\t131\t138\t38\t92.284897\t<tag>.",
  "2\t1\t2\t0\t0\t0\t63\t269\t506\t80\t-1\t",
  "5\t1\t2\t1\t1\t1\t63\t269\t140\t32\t96.303642\tSecond",
  "5\t1\t2\t2\t1\t1\t63\t317\t101\t32\t100\tblock",
  "",
].join("\n");

describe("parseTesseractTsv", () => {
  const [layout = { width: 0, height: 0, text: "", blocks: [] }] = parseTesseractTsv(TSV);

  it("takes the page size from the page row", () => {
    expect([layout.width, layout.height]).toEqual([1240, 400]);
  });

  it("groups words into lines and lines into blocks, in reading order", () => {
    expect(layout.blocks.map((block) => block.lines.map((line) => line.text))).toEqual([
      ["The quick brown", "the <tag>."],
      ["Second", "block"],
    ]);
  });

  it("joins lines with newlines and blocks with a blank line", () => {
    expect(layout.text).toBe("The quick brown\nthe <tag>.\n\nSecond\nblock");
  });

  it("converts left/top/width/height to [x0, y0, x1, y1] and unions them upwards", () => {
    const line = layout.blocks[0]?.lines[0];
    expect(line?.words[1]?.bbox).toEqual([149, 69, 253, 109]);
    expect(line?.bbox).toEqual([60, 69, 385, 109]);
    expect(layout.blocks[0]?.bbox).toEqual([60, 69, 656, 169]);
  });

  it("maps confidence 0–100 to 0–1 and averages it per line", () => {
    const line = layout.blocks[0]?.lines[0];
    expect(line?.words.map((word) => word.confidence)).toEqual([0.956, 0.97, 0]);
    expect(line?.confidence).toBeCloseTo((0.956 + 0.97 + 0) / 3, 6);
  });

  it("drops structure rows and blank words", () => {
    const words = layout.blocks.flatMap((block) => block.lines.flatMap((line) => line.words.map((word) => word.text)));
    expect(words).toEqual(["The", "quick", "brown", "the", "<tag>.", "Second", "block"]);
  });

  it("reads a page with no words as an empty layout", () => {
    const empty = parseTesseractTsv(TSV.split("\n").slice(0, 2).join("\n"));
    expect(empty).toEqual([{ width: 1240, height: 400, text: "", blocks: [] }]);
  });

  it("reads the pages of a multi-image run apart, in order, even when one has no words", () => {
    const rows = TSV.split("\n").filter(Boolean);
    const secondPage = rows
      .slice(1)
      .map((row) => row.replace(/^(\d)\t1\t/, "$1\t2\t").replace("1240\t400", "800\t600"));
    const thirdPage = ["1\t3\t0\t0\t0\t0\t0\t0\t100\t50\t-1\t"];
    const pages = parseTesseractTsv([...rows, ...secondPage, ...thirdPage, ""].join("\n"));
    expect(pages.map(({ width, height }) => [width, height])).toEqual([
      [1240, 400],
      [800, 600],
      [100, 50],
    ]);
    expect(pages[1]?.text).toBe(layout.text);
    expect(pages[1]?.blocks).toEqual(layout.blocks);
    expect(pages[2]?.blocks).toEqual([]);
  });
});
