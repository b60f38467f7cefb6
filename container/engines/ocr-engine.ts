import type { Run } from "../exec";
import type { PageLayout } from "./layout";

export interface RecognizeOptions {
  /** The page's number in its document. */
  page: number;
  /** Engine language spec, e.g. `eng` or `eng+deu`. */
  language: string;
  /** Output files are `${outputBase}.*`. */
  outputBase: string;
  /** Resolution to assume, for images whose own resolution is missing or wrong (pages we rendered). */
  dpi?: number;
  /** The PDF page holds only the invisible text (to lay over an original page), not the image. */
  textOnly?: boolean;
}

export interface Recognized {
  layout: PageLayout;
  /** A one-page PDF with the recognized text as an invisible layer (over the image, unless `textOnly`). */
  pdfPath: string;
}

/** An OCR engine: recognizes one page image into words with pixel boxes plus a searchable PDF page. */
export interface OcrEngine {
  readonly name: string;
  version(run: Run): Promise<string>;
  /** Installed recognition languages. */
  languages(run: Run): Promise<string[]>;
  recognize(run: Run, imagePath: string, options: RecognizeOptions): Promise<Recognized>;
}
