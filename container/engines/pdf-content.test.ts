import { describe, expect, it } from "vitest";
import { onlyImagePlacement } from "./pdf-content";

describe("onlyImagePlacement", () => {
  it("finds the one image a scan's page draws, with its size and offset in points", () => {
    expect(onlyImagePlacement("q\n595.1786 0 0 841.8898 0.0485 0.0000 cm\n/Im0 Do\nQ\n")).toEqual({
      name: "/Im0",
      width: 595.1786,
      height: 841.8898,
      x: 0.0485,
      y: 0,
    });
  });

  it("composes nested matrices and restores them after Q", () => {
    const content = "q 2 0 0 2 10 20 cm q 0.5 0 0 0.25 0 0 cm Q 100 0 0 200 5 5 cm /Scan Do Q % a comment";
    expect(onlyImagePlacement(content)).toEqual({ name: "/Scan", width: 200, height: 400, x: 20, y: 30 });
  });

  it("accepts flips that cancel out, as writers that flip the page's y axis first draw", () => {
    expect(onlyImagePlacement("1 0 0 -1 0 842 cm q 595 0 0 -842 0 842 cm /Im0 Do Q")).toEqual({
      name: "/Im0",
      width: 595,
      height: 842,
      x: 0,
      y: 0,
    });
  });

  it("reads numbers written as 1., .5 or -0", () => {
    expect(onlyImagePlacement("q 595. 0 -0 842.0 .5 -0 cm /Im0 Do Q")).toMatchObject({ width: 595, x: 0.5 });
  });

  it.each([
    ["a vertical flip", "q 595 0 0 -842 0 842 cm /Im0 Do Q"],
    ["a clip", "q 0 0 100 100 re W n 595 0 0 842 0 0 cm /Im0 Do Q"],
    ["a graphics state (which may set a transfer function or a soft mask)", "q /GS0 gs 595 0 0 842 0 0 cm /Im0 Do Q"],
    ["a Q without its q", "Q 595 0 0 842 0 0 cm /Im0 Do"],
    ["an operator glued to a name", "q 595 0 0 842 0 0 cm/Im0 Do Q"],
    ["a mirror", "q -595 0 0 842 595 0 cm /Im0 Do Q"],
    ["a quarter turn", "q 0 842 -595 0 595 0 cm /Im0 Do Q"],
    ["a skew", "q 595 0 10 842 0 0 cm /Im0 Do Q"],
    ["text besides the image", "q 595 0 0 842 0 0 cm /Im0 Do Q BT /F1 12 Tf (Hi) Tj ET"],
    ["a path besides the image", "q 595 0 0 842 0 0 cm /Im0 Do Q 0 0 m 10 10 l S"],
    ["two images", "q 595 0 0 842 0 0 cm /Im0 Do Q q 100 0 0 100 0 0 cm /Im1 Do Q"],
    ["no image", "q 1 0 0 1 0 0 cm Q"],
    ["an inline image", "q 595 0 0 842 0 0 cm BI /W 1 /H 1 /BPC 8 /CS /G ID x EI Q"],
    ["a dangling operand", "q 595 0 0 842 0 0 cm /Im0 Do Q 5"],
  ])("refuses a page with %s", (_, content) => {
    expect(onlyImagePlacement(content)).toBeNull();
  });
});
