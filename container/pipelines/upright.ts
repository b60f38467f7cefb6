import { rm } from "node:fs/promises";
import { meanWordConfidence, type OcrPage } from "../../contracts/results";
import { ffmpeg } from "../engines/ffmpeg";
import type { PageLayout } from "../engines/layout";
import type { OcrEngine, Orientation } from "../engines/ocr-engine";
import type { GrayPicture } from "../engines/pdf-image-stream";
import { measureSkew } from "../engines/skew";
import type { Job } from "./job";

/** OCRmyPDF's names: turn pages upright (0/90/180/270) and straighten their skew before reading them. */
export interface UprightOptions {
  rotatePages: boolean;
  deskew: boolean;
}

/** How a page image was turned to be read: quarter turns clockwise, then degrees clockwise. */
export interface Turn {
  quarterTurns: number;
  degrees: number;
}

export const NO_TURN: Turn = { quarterTurns: 0, degrees: 0 };

/** The page's `rotation` and `skew_deg` in the result. */
export const turnFields = (turn: Turn): Pick<OcrPage, "rotation" | "skew_deg"> => ({
  rotation: ((((turn.quarterTurns % 4) + 4) % 4) * 90) as OcrPage["rotation"],
  skew_deg: turn.degrees,
});

export const isTurned = (turn: Turn) => turn.quarterTurns % 4 !== 0 || turn.degrees !== 0;

/** The skew is measured on a picture this wide: a few milliseconds, and a tenth of a degree. */
export const THUMBNAIL_WIDTH = 600;
/** A smaller skew is left alone: the engine reads it as it is, and turning a page costs more than it gains. */
const MIN_SKEW_DEGREES = 0.3;
/**
 * Orientation detection reads the page with its longer side at most this long (A4 at about 200 dpi),
 * whichever way the page lies: a 300 dpi scan in about half the time, with its letters still large
 * enough (much smaller, and it finds too few characters or answers wrongly).
 */
const ORIENTATION_LONG_SIDE = 2339;
/** Orientation detection's confidence below which its answer is not acted on (pages of text score 7 and more). */
const MIN_ORIENTATION_CONFIDENCE = 2;

/**
 * How to turn a page image to read it straight, decided before reading it: its skew, measured on a
 * thumbnail, whether its lines look upside down there (mixed-case text), and, when its lines run down
 * the page, which way up it is (the engine's orientation detection on a reduced image). Upside-down
 * pages the thumbnail cannot tell (all capitals, a few lines) are caught by `rereadTurn` from the
 * first reading, as is a wrong guess.
 */
export async function plannedTurn(
  job: Job,
  ocr: OcrEngine,
  page: { image: string; thumbnail: GrayPicture },
  options: UprightOptions,
): Promise<Turn> {
  if (!options.deskew && !options.rotatePages) return NO_TURN;
  const imagePath = page.image;
  const { thumbnail } = page;
  let skew = measureSkew(thumbnail.pixels, thumbnail.width, thumbnail.height);
  let quarterTurns = 0;
  if (skew.vertical && options.rotatePages) {
    const orientation = await orientationOf(job, ocr, imagePath);
    if (orientation && orientation.quarterTurns % 2 === 1) {
      quarterTurns = orientation.quarterTurns;
      const turned = quarterTurn(thumbnail, quarterTurns);
      skew = measureSkew(turned.pixels, turned.width, turned.height);
    }
  }
  // Upside down, by the shape of its lines: turned before its first reading, which would be wasted.
  if (!skew.vertical && skew.upsideDown && options.rotatePages) quarterTurns = 2;
  const degrees = options.deskew && !skew.vertical && Math.abs(skew.angle) >= MIN_SKEW_DEGREES ? -skew.angle : 0;
  return { quarterTurns, degrees };
}

/**
 * After a first reading that looks like garbage (an upside-down page reads as confident nonsense in
 * few words, or as many low-confidence ones), the turn orientation detection asks for on top of
 * `done`; null when it sees nothing to turn. The caller keeps whichever reading is better.
 */
export async function rereadTurn(
  job: Job,
  ocr: OcrEngine,
  imagePath: string,
  done: Turn,
  firstReading: PageLayout,
  options: UprightOptions,
): Promise<Turn | null> {
  if (!options.rotatePages || readingConfidence(firstReading) >= LOW_CONFIDENCE) return null;
  // Orientation detection reads grey: the copy for it need not be colour.
  const source = isTurned(done)
    ? await turnedImage(job, { image: imagePath, grey: true }, done, "orientation")
    : imagePath;
  const orientation = await orientationOf(job, ocr, source).finally(() =>
    source === imagePath ? undefined : rm(source, { force: true }),
  );
  if (orientation && orientation.quarterTurns !== 0) {
    return { quarterTurns: done.quarterTurns + orientation.quarterTurns, degrees: done.degrees };
  }
  // A page given a quarter turn that still reads poorly was most likely turned the wrong way round.
  return done.quarterTurns % 2 !== 0 ? { quarterTurns: done.quarterTurns + 2, degrees: done.degrees } : null;
}

/** Mean word confidence of a reading (0 with no words). Upright print reads above 0.85; upside down, about 0.3. */
export const readingConfidence = (layout: PageLayout): number => meanWordConfidence(layout.blocks) ?? 0;
const LOW_CONFIDENCE = 0.6;

/** The page image turned as `turn` says, written beside it (grey when the page is known to be). */
export async function turnedImage(
  job: Job,
  page: { image: string; grey?: boolean },
  turn: Turn,
  name: string,
): Promise<string> {
  const grey = page.grey === true;
  const out = job.path(`${name}-${crypto.randomUUID()}.${grey ? "pgm" : "ppm"}`);
  await ffmpeg.turn(job.run, page.image, turn, out, { grey });
  return out;
}

async function orientationOf(job: Job, ocr: OcrEngine, imagePath: string) {
  const orientation = await detectOrientation(job, ocr, imagePath);
  return orientation && orientation.confidence >= MIN_ORIENTATION_CONFIDENCE ? orientation : null;
}

/** The engine's orientation and script detection on a reduced copy of the page image. */
export async function detectOrientation(job: Job, ocr: OcrEngine, imagePath: string): Promise<Orientation | null> {
  const reduced = job.path(`osd-${crypto.randomUUID()}.pgm`);
  try {
    await ffmpeg.scaled(job.run, imagePath, ORIENTATION_LONG_SIDE, reduced);
    return await ocr.orientation(job.run, reduced);
  } finally {
    await rm(reduced, { force: true });
  }
}

/** A raw grayscale picture turned `quarterTurns` quarter turns clockwise. */
function quarterTurn(picture: GrayPicture, quarterTurns: number): GrayPicture {
  const { pixels, width, height } = picture;
  const turns = ((quarterTurns % 4) + 4) % 4;
  if (turns % 2 === 0) return picture; // a half turn leaves the lines' slope as it is
  const out = new Uint8Array(pixels.length);
  // Clockwise: (x, y) → (height − 1 − y, x); counter-clockwise: (x, y) → (y, width − 1 − x).
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const to = turns === 1 ? x * height + (height - 1 - y) : (width - 1 - x) * height + y;
      out[to] = pixels[y * width + x] as number;
    }
  }
  return { pixels: out, width: height, height: width };
}
