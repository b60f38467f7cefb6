import type { Run } from "../exec";
import type { PageLayout } from "./layout";

/** One image to recognize: a page of a document. */
export interface PageImage {
  path: string;
  /** The page's number in its document. */
  page: number;
}

export interface RecognizeOptions {
  /** Engine language spec, e.g. `eng` or `eng+deu`. */
  language: string;
  /** Output files are `${outputBase}.*`. */
  outputBase: string;
  /** Resolution to assume, for images whose own resolution is missing or wrong (pages we rendered). */
  dpi?: number;
  /** The PDF pages hold only the invisible text (to lay over the original pages), not the images. */
  textOnly?: boolean;
  /** Called once per image as soon as it is recognized, with its index in `images`, in order. */
  onPage?: (index: number) => void;
}

export interface Orientation {
  quarterTurns: number;
  confidence: number;
  script: string | null;
}

export interface Recognized {
  /** Each image's words, in the order of `images`. */
  layouts: PageLayout[];
  /** A PDF with one page per image, in order: the recognized text as an invisible layer (over the image, unless `textOnly`). */
  pdfPath: string;
}

/**
 * An OCR engine: recognizes page images into words with pixel boxes plus searchable PDF pages. It is
 * given several pages at once so that one engine run (and one model load) serves them all.
 */
export interface OcrEngine {
  readonly name: string;
  version(run: Run): Promise<string>;
  /** Installed recognition languages. */
  languages(run: Run): Promise<string[]>;
  recognize(run: Run, images: readonly PageImage[], options: RecognizeOptions): Promise<Recognized>;
  /**
   * Which way up the text of an image is: the quarter turns clockwise that make it upright, and how
   * sure the engine is; and the script it is written in, as the engine names it ("Latin",
   * "Cyrillic", "Han"…). Null when it finds too little text to say.
   */
  orientation(run: Run, imagePath: string): Promise<Orientation | null>;
}
