import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium, driven by playwright-core (`.ci/run` installs it). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".map": "application/json",
};

/**
 * The web UI built as for Pages (`vite build` with `env`, e.g. VITE_API_URL) and served on an origin
 * of its own by a plain static server that applies the build's `_headers` and falls back to the app
 * for its routes. Listening from the start, so the origin is known before the build (`build(env)`).
 */
export async function startStaticSite() {
  const dir = mkdtempSync(join(tmpdir(), "verbatim-pages-"));
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = join(dir, path);
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file)) file = join(dir, "index.html");
    // `_headers`: a path pattern (`/*`, `/assets/*`) on a line, then its indented headers.
    const headers: string[][] = [];
    let applies = false;
    for (const line of readFileSync(join(dir, "_headers"), "utf8").split("\n")) {
      if (!line.trim()) continue;
      if (!line.startsWith("  ")) applies = path.startsWith(line.trim().replace(/\*$/, ""));
      else if (applies) headers.push(line.trim().split(/:\s(.*)/s));
    }
    res.writeHead(200, {
      "content-type": TYPES[extname(file)] ?? "application/octet-stream",
      ...Object.fromEntries(headers),
    });
    res.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    build(env: Record<string, string>) {
      execFileSync(resolve("node_modules/.bin/vite"), ["build", "web", "--outDir", dir, "--logLevel", "warn"], {
        env: { ...process.env, ...env },
      });
    },
    stop() {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
