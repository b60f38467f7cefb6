import { describe, expect, it } from "vitest";
import { decodeXmlEntities, parseBboxLayout } from "./poppler-bbox";

/** Shaped like real `pdftotext -bbox-layout` output (poppler 22). */
const XHTML = `<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd"><html xmlns="http://www.w3.org/1999/xhtml">
<head>
<title></title>
<meta name="Producer" content="Verbatim test"/>
</head>
<body>
<doc>
  <page width="595.000000" height="842.000000">
    <flow>
      <block xMin="72.000000" yMin="67.328000" xMax="246.720000" yMax="102.600000">
        <line xMin="72.000000" yMin="67.328000" xMax="246.720000" yMax="82.600000">
          <word xMin="72.000000" yMin="67.328000" xMax="110.230000" yMax="82.600000">Fish</word>
          <word xMin="114.678000" yMin="67.328000" xMax="132.462000" yMax="82.600000">&amp;</word>
          <word xMin="136.910000" yMin="67.328000" xMax="170.700000" yMax="82.600000">chips</word>
        </line>
        <line xMin="72.000000" yMin="87.328000" xMax="246.720000" yMax="102.600000">
          <word xMin="72.000000" yMin="87.328000" xMax="120.000000" yMax="102.600000">&lt;b&gt;</word>
          <word xMin="124.000000" yMin="87.328000" xMax="246.720000" yMax="102.600000">caf&#233;&#x2019;s</word>
        </line>
      </block>
    </flow>
    <flow>
      <block xMin="72.000000" yMin="300.000000" xMax="150.000000" yMax="315.000000">
        <line xMin="72.000000" yMin="300.000000" xMax="150.000000" yMax="315.000000">
          <word xMin="72.000000" yMin="300.000000" xMax="150.000000" yMax="315.000000">Footer</word>
        </line>
      </block>
    </flow>
  </page>
</doc>
</body>
</html>
`;

describe("parseBboxLayout", () => {
  const layout = parseBboxLayout(XHTML);

  it("reads the page size in points", () => {
    expect([layout.width, layout.height]).toEqual([595, 842]);
  });

  it("keeps poppler's blocks and lines and decodes entities in words", () => {
    expect(layout.blocks.map((block) => block.lines.map((line) => line.text))).toEqual([
      ["Fish & chips", "<b> café’s"],
      ["Footer"],
    ]);
    expect(layout.text).toBe("Fish & chips\n<b> café’s\n\nFooter");
  });

  it("gives word boxes as [xMin, yMin, xMax, yMax] to a hundredth of a point, confidence 1", () => {
    expect(layout.blocks[0]?.lines[0]?.words[0]).toEqual({
      text: "Fish",
      bbox: [72, 67.33, 110.23, 82.6],
      confidence: 1,
    });
    expect(layout.blocks[0]?.bbox).toEqual([72, 67.33, 246.72, 102.6]);
  });

  it("reads a page without text as empty", () => {
    const empty = parseBboxLayout('<doc>\n  <page width="595.276000" height="841.890000">\n  </page>\n</doc>');
    expect(empty).toEqual({ width: 595.276, height: 841.89, text: "", blocks: [] });
  });
});

describe("decodeXmlEntities", () => {
  it("decodes named, decimal and hex entities and leaves unknown ones alone", () => {
    expect(decodeXmlEntities("&quot;a&quot; &apos;b&apos; &#65;&#x42; &nbsp; &#xFFFFFFF;")).toBe(
      "\"a\" 'b' AB &nbsp; &#xFFFFFFF;",
    );
  });
});
