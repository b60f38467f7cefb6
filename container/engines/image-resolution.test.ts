import { execFile as execFileCb } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFile } from "../exec";
import { declaredDpi } from "./image-resolution";

const convert = promisify(execFileCb);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "verbatim-dpi-test-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A small white image written by ImageMagick with `density` options. */
async function image(name: string, density: string[]): Promise<string> {
  const path = join(dir, name);
  await convert("convert", ["-size", "40x30", "xc:white", ...density, path]);
  return path;
}

describe("the resolution an image declares", () => {
  it.each([
    ["a PNG in pixels per inch", "a.png", "image/png", ["-units", "PixelsPerInch", "-density", "150"], 150],
    ["a PNG in pixels per cm", "b.png", "image/png", ["-units", "PixelsPerCentimeter", "-density", "118.11"], 300],
    ["a PNG that says none", "c.png", "image/png", ["-strip"], undefined],
    ["a JPEG (JFIF) in pixels per inch", "a.jpg", "image/jpeg", ["-units", "PixelsPerInch", "-density", "300"], 300],
    ["a JPEG (JFIF) in pixels per cm", "b.jpg", "image/jpeg", ["-units", "PixelsPerCentimeter", "-density", "59"], 150],
    ["a JPEG with an aspect ratio only", "c.jpg", "image/jpeg", ["-units", "Undefined", "-density", "1"], undefined],
    ["a TIFF", "a.tif", "image/tiff", ["-units", "PixelsPerInch", "-density", "600"], 600],
    ["a WebP (no resolution in the format)", "a.webp", "image/webp", [], undefined],
  ])("reads %s", async (_, name, mediaType, density, dpi) => {
    expect(await declaredDpi(execFile, await image(name, density), mediaType)).toBe(dpi);
  });
});
