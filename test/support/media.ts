import { execFileSync } from "node:child_process";
import { join } from "node:path";

/**
 * Test inputs made with real tools, so every test knows exactly what was drawn or spoken:
 * ImageMagick draws text, img2pdf wraps scans into a PDF, flite speaks, ffmpeg encodes.
 */
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });

/** A 300-dpi, A4-wide page image with `lines` of black text. */
export function textImage(dir: string, name: string, lines: string[]): string {
  const file = join(dir, name);
  const args = ["-size", "2480x1200", "xc:white", "-font", "DejaVu-Sans", "-pointsize", "56", "-fill", "black"];
  lines.forEach((line, i) => {
    args.push("-annotate", `+150+${220 + i * 110}`, line);
  });
  run("convert", [...args, "-units", "PixelsPerInch", "-density", "300", file]);
  return file;
}

/** A scanned PDF: one image page per entry of `pages`, no text layer. */
export function scannedPdf(dir: string, name: string, pages: string[][]): string {
  const images = pages.map((lines, i) => textImage(dir, `${name}-page${i + 1}.png`, lines));
  const file = join(dir, name);
  run("img2pdf", ["--pagesize", "A4", "-o", file, ...images]);
  return file;
}

/** `text` spoken by flite's `slt` voice, as a WAV file. */
export function speechWav(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  run("flite", ["-voice", "slt", "-t", text, "-o", file]);
  return file;
}

/** Re-encodes audio with ffmpeg; `video` adds a black picture track (an MP4/MKV/WebM "recording"). */
export function encode(input: string, output: string, opts: { video?: boolean; args?: string[] } = {}): string {
  const args = ["-y", "-loglevel", "error", "-i", input];
  if (opts.video) args.push("-f", "lavfi", "-i", "color=c=black:s=320x240:r=10", "-shortest");
  run("ffmpeg", [...args, ...(opts.args ?? []), output]);
  return output;
}

/** A born-digital PDF (a real text layer, no images): one A4 page per entry, Helvetica 14 pt. */
export function textPdf(pages: string[][]): Uint8Array {
  const pdfString = (s: string) => s.replace(/[\\()]/g, (c) => `\\${c}`);
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + i * 2);
  objects[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(" ")}] /Count ${pages.length} >>`;
  objects[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
  pages.forEach((lines, i) => {
    const content = `BT /F1 14 Tf 72 770 Td 18 TL ${lines.map((l) => `(${pdfString(l)}) Tj T*`).join(" ")} ET`;
    objects[4 + i * 2] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + i * 2} 0 R >>`;
    objects[5 + i * 2] = `<< /Length ${content.length} >>\nstream\n${content}\nendstream`;
  });
  let out = "%PDF-1.4\n";
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = out.length;
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = out.length;
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, "0")} 00000 n \n`;
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new TextEncoder().encode(out);
}
