import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { textPdf } from "./minimal-pdf";

const exec = promisify(execFile);

/** Sentences flite speaks and pocketsphinx recognizes well: the script of `talk`. */
export const TALK_SENTENCES = [
  "Good morning everyone. Today we will talk about the weather in the city.",
  "Please send me the report by the end of the week.",
  "The children played in the park all afternoon.",
  "The train to New York leaves from the main station.",
];

/** A letter of a dozen printed lines: the text of a scanned page (`scannedPage`) turned or skewed in tests. */
export const LETTER = [
  "Dear customer, thank you for your order of the fifth of March.",
  "The parcel with the three books you asked for left our warehouse",
  "this morning and should reach you within two working days.",
  "Your invoice number is 4711 and the total amount is 86 euros.",
  "Please pay it within thirty days to the account named below.",
  "If anything is missing or damaged, write to us at the address",
  "printed at the top of this letter and we will replace it at once.",
  "We hope you enjoy reading them, and look forward to your next visit.",
  "With kind regards from everyone at the small bookshop by the river.",
  "Opening hours are nine to six on weekdays and ten to four on Saturdays.",
  "Gift vouchers are available in any amount and never expire.",
  "Ask about our reading club, which meets on the first Monday of each month.",
];

/** Builds test inputs with the same system tools the runner's image has. */
export class MediaFixtures {
  constructor(readonly dir: string) {}

  path(name: string): string {
    return join(this.dir, name);
  }

  /** A white page with black DejaVu Sans text, one line per entry (36 px type: 12 pt text scanned at ~200 dpi). */
  async textImage(name: string, lines: readonly string[]): Promise<string> {
    const out = this.path(name);
    const annotations = lines.flatMap((line, index) => ["-annotate", `+60+${90 + index * 60}`, line]);
    await exec("convert", [
      ...["-size", "1240x480", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "36", "-fill", "black"],
      ...annotations,
      out,
    ]);
    return out;
  }

  /**
   * A printed page as a scanner gives it: A4 at 150 dpi, one line of DejaVu Sans per entry (12 pt),
   * turned `degrees` clockwise on the scanner's glass (the canvas grows, its new corners white), so
   * a skewed page is e.g. 4 and an upside-down one 180.
   */
  async scannedPage(name: string, lines: readonly string[], degrees = 0): Promise<string> {
    const out = this.path(name);
    const annotations = lines.flatMap((line, index) => ["-annotate", `+120+${160 + index * 44}`, line]);
    await exec("convert", [
      ...["-size", "1240x1754", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "25", "-fill", "black"],
      ...annotations,
      ...["-background", "white", "-rotate", String(degrees), "+repage", "-alpha", "off", "-depth", "8"],
      ...["-units", "PixelsPerInch", "-density", "150"],
      out,
    ]);
    return out;
  }

  /**
   * `lines` photographed with a phone rather than scanned (A4 at 150 dpi, JPEG): the paper lit
   * evenly (`even`) or not — light falling off towards the right edge (`edge`, 45 % darker there),
   * towards the corners (`corner`), or a hand's shadow across one side (`shadow`) — a little out of
   * focus, with sensor noise, turned `degrees` clockwise; with `titleBand`, that title in white on a
   * dark band across the top.
   */
  async photographedPage(
    name: string,
    lines: readonly string[],
    light: "even" | "edge" | "corner" | "shadow",
    degrees = 0,
    { titleBand }: { titleBand?: string } = {},
  ): Promise<string> {
    const out = this.path(name);
    const top = titleBand === undefined ? 160 : 340;
    const annotations = lines.flatMap((line, index) => ["-annotate", `+120+${top + index * 44}`, line]);
    const lighting = {
      even: ["-size", "1240x1754", "xc:white"],
      edge: ["-size", "1754x1240", "gradient:white-gray55", "-rotate", "90"],
      corner: ["-size", "1240x1754", "radial-gradient:white-gray40"],
      shadow: ["-size", "1240x1754", "xc:white", "-fill", "gray45", "-draw", "polygon 700,0 1240,0 1240,1754 450,1754"],
    }[light];
    // A dark band across the top with the title in white on it (a report's cover, a form's header).
    const band =
      titleBand === undefined
        ? []
        : [
            ...["-fill", "#202020", "-draw", "rectangle 0,0 1240,270", "-fill", "white", "-pointsize", "40"],
            ...["-annotate", "+120+150", titleBand, "-fill", "black", "-pointsize", "25"],
          ];
    await exec("convert", [
      ...["-size", "1240x1754", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "25", "-fill", "black"],
      ...band,
      ...annotations,
      ...["(", ...lighting, ...(light === "shadow" ? ["-blur", "0x30"] : []), ")"],
      // The same noise every time (-seed), so a page reads the same from run to run.
      ...[
        "-compose",
        "multiply",
        "-composite",
        "-blur",
        "0x0.8",
        "-seed",
        "26",
        "-attenuate",
        "0.3",
        "+noise",
        "Gaussian",
      ],
      ...["-background", "white", "-rotate", String(degrees), "+repage", "-alpha", "off"],
      ...["-units", "PixelsPerInch", "-density", "150", "-quality", "80"],
      out,
    ]);
    return out;
  }

  /**
   * A two-column printed page (A4 at 150 dpi): a title across the top in large type, then `left`'s
   * paragraphs down the left column and `right`'s down the right one (12 pt lines; a blank line
   * between paragraphs).
   */
  async twoColumnPage(
    name: string,
    title: string,
    left: readonly (readonly string[])[],
    right: readonly (readonly string[])[],
  ): Promise<string> {
    const out = this.path(name);
    const column = (paragraphs: readonly (readonly string[])[], x: number) => {
      const annotations: string[] = [];
      let y = 300;
      for (const lines of paragraphs) {
        for (const line of lines) {
          y += 40;
          annotations.push("-annotate", `+${x}+${y}`, line);
        }
        y += 40;
      }
      return annotations;
    };
    await exec("convert", [
      ...["-size", "1240x1754", "xc:white", "-font", "DejaVu-Sans", "-fill", "black"],
      ...["-pointsize", "48", "-annotate", "+100+200", title],
      ...["-pointsize", "22", ...column(left, 100), ...column(right, 660)],
      ...["-alpha", "off", "-depth", "8", "-units", "PixelsPerInch", "-density", "150"],
      out,
    ]);
    return out;
  }

  /** Re-encodes an image (the format follows the extension of `name`). */
  async convertImage(source: string, name: string): Promise<string> {
    const out = this.path(name);
    await exec("convert", [source, out]);
    return out;
  }

  async multiPageTiff(name: string, pages: readonly string[]): Promise<string> {
    const out = this.path(name);
    await exec("convert", [...pages, out]);
    return out;
  }

  /** A scan: each image becomes an A4 page with no text layer. */
  async scannedPdf(name: string, images: readonly string[]): Promise<string> {
    const out = this.path(name);
    await exec("img2pdf", ["--pagesize", "A4", ...images, "-o", out]);
    return out;
  }

  async textPdf(name: string, pages: readonly (readonly string[])[]): Promise<string> {
    const out = this.path(name);
    await writeFile(out, textPdf(pages));
    return out;
  }

  async concatPdfs(name: string, pdfs: readonly string[]): Promise<string> {
    const out = this.path(name);
    await exec("pdfunite", [...pdfs, out]);
    return out;
  }

  /** Speech by flite's `slt` voice, which pocketsphinx recognizes well. */
  async speech(name: string, text: string): Promise<string> {
    const out = this.path(name);
    await exec("flite", ["-voice", "slt", "-t", text, "-o", out]);
    return out;
  }

  /** The inputs one after another, each followed by `pauseS` of silence, as 16 kHz mono WAV. */
  async joinAudio(name: string, inputs: readonly string[], pauseS: number): Promise<string> {
    const out = this.path(name);
    const pauses = inputs.flatMap(() => ["-f", "lavfi", "-t", String(pauseS), "-i", "anullsrc=r=16000:cl=mono"]);
    const pads = inputs.map((_, index) => `[${index}:a][${inputs.length + index}:a]`).join("");
    await exec("ffmpeg", [
      ...["-nostdin", "-v", "error", "-y"],
      ...inputs.flatMap((input) => ["-i", input]),
      ...pauses,
      ...["-filter_complex", `${pads}concat=n=${inputs.length * 2}:v=0:a=1`, "-ac", "1", "-ar", "16000", out],
    ]);
    return out;
  }

  /**
   * A call recorded one party per channel: `left` on the left channel from the start, `right` on the
   * right channel from `rightStartS` seconds, each silent elsewhere, as 16 kHz stereo WAV.
   */
  async twoPartyCall(name: string, left: string, right: string, rightStartS: number): Promise<string> {
    const out = this.path(name);
    const seconds = async (file: string) =>
      Number(
        (await exec("ffprobe", ["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", file])).stdout,
      );
    const total = Math.max(await seconds(left), rightStartS + (await seconds(right))) + 0.5;
    const delayMs = Math.round(rightStartS * 1000);
    await exec("ffmpeg", [
      ...["-nostdin", "-v", "error", "-y", "-i", left, "-i", right],
      ...[
        "-filter_complex",
        `[0:a]aresample=16000,apad=whole_dur=${total}[l];[1:a]aresample=16000,adelay=${delayMs},apad=whole_dur=${total}[r];` +
          "[l][r]join=inputs=2:channel_layout=stereo[out]",
      ],
      ...["-map", "[out]", "-ar", "16000", out],
    ]);
    return out;
  }

  /** An MP3 of TALK_SENTENCES spoken `repeats` times over (about 15 s each time): a long recording. */
  async talk(name: string, repeats: number): Promise<string> {
    const spoken = await Promise.all(TALK_SENTENCES.map((s, i) => this.speech(`${name}-${i}.wav`, s)));
    const once = await this.joinAudio(`${name}-once.wav`, spoken, 0.5);
    const all = await this.joinAudio(`${name}-all.wav`, Array(repeats).fill(once), 0.5);
    return this.encodeAudio(all, `${name}.mp3`);
  }

  /** Re-encodes audio (the format follows the extension of `name`). */
  async encodeAudio(source: string, name: string): Promise<string> {
    const out = this.path(name);
    await exec("ffmpeg", ["-nostdin", "-v", "error", "-y", "-i", source, out]);
    return out;
  }

  /** A black video track under the audio: VP8 + Opus for .webm, H.264 + AAC otherwise (MP4, MOV, MKV). */
  async videoWithAudio(source: string, name: string): Promise<string> {
    const out = this.path(name);
    const codecs = name.endsWith(".webm")
      ? ["-c:v", "libvpx", "-deadline", "realtime", "-c:a", "libopus"]
      : ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"];
    await exec("ffmpeg", [
      ...["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=black:s=320x240:r=10", "-i", source],
      ...["-shortest", ...codecs, out],
    ]);
    return out;
  }

  /** A video with no audio stream at all. */
  async silentVideo(name: string, seconds: number): Promise<string> {
    const out = this.path(name);
    await exec("ffmpeg", [
      ...["-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", `color=c=black:s=320x240:r=10:d=${seconds}`],
      ...["-c:v", "libx264", "-preset", "ultrafast", out],
    ]);
    return out;
  }

  /** Digital silence: an audio stream with nothing to recognize. */
  async silence(name: string, seconds: number): Promise<string> {
    const out = this.path(name);
    await exec("ffmpeg", [
      "-nostdin",
      "-v",
      "error",
      "-y",
      "-f",
      "lavfi",
      "-t",
      String(seconds),
      "-i",
      "anullsrc=r=16000:cl=mono",
      out,
    ]);
    return out;
  }

  /** Bytes that are no known format; deterministic, so a test cannot pass or fail by chance. */
  async garbage(name: string, size: number): Promise<string> {
    const out = this.path(name);
    const blocks: Buffer[] = [];
    for (let block = createHash("sha256").update(name).digest(); blocks.length * 32 < size; ) {
      blocks.push(block);
      block = createHash("sha256").update(block).digest();
    }
    await writeFile(out, Buffer.concat(blocks).subarray(0, size));
    return out;
  }
}

export async function pdfPageCount(pdf: string): Promise<number> {
  const { stdout } = await exec("pdfinfo", [pdf]);
  return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1]);
}

export async function pdfText(pdf: string): Promise<string> {
  const { stdout } = await exec("pdftotext", [pdf, "-"]);
  return stdout;
}
