import { join } from "node:path";
import preact from "@preact/preset-vite";
import { defineConfig, type Plugin } from "vite";
import { viteStaticCopy } from "vite-plugin-static-copy";

/**
 * The web UI. `npm run build:web` writes web/dist, which the worker serves on the API's origin
 * (wrangler.toml `[assets]`); `npm run deploy:web` puts the same build on Pages, with VITE_API_URL
 * naming the API's origin. `npm run dev:web` serves it with hot reload, the API proxied to the stack.
 */
const apiUrl = process.env.VITE_API_URL?.replace(/\/$/, "") || "";
/** The OpenID Connect provider the UI signs in with, if any (see src/api/oidc.ts). */
const oidcIssuer = process.env.VITE_OIDC_ISSUER || "";

/**
 * `_headers` for the build (Workers static assets and Pages both read it): a Content-Security-Policy
 * that lets the app load only its own files and talk only to its API (its own origin, or
 * VITE_API_URL's when the UI is deployed apart, with its sockets) and its sign-in provider
 * (VITE_OIDC_ISSUER's origin: discovery and the token exchange); media and page images are blob: URLs.
 */
function securityHeaders(): Plugin {
  // An http(s) source does not cover ws(s) sockets: both are named ('self' covers its own).
  const api = apiUrl ? new URL(apiUrl).origin : null;
  const connect = [
    "'self'",
    ...(api ? [api, api.replace(/^http/, "ws")] : []),
    ...(oidcIssuer ? [new URL(oidcIssuer).origin] : []),
  ].join(" ");
  const policy = [
    "default-src 'self'",
    // WebAssembly (PDF.js's image decoders) may be compiled; JavaScript eval stays refused.
    "script-src 'self' 'wasm-unsafe-eval'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join("; ");
  return {
    name: "verbatim-security-headers",
    generateBundle() {
      this.emitFile({
        type: "asset",
        fileName: "_headers",
        source: [
          "/*",
          `  Content-Security-Policy: ${policy}`,
          "  X-Content-Type-Options: nosniff",
          "  Referrer-Policy: no-referrer",
          // The bundles' names carry their content's hash: a new build has new names, so browsers keep
          // these for a year without asking again (index.html, which names them, is always revalidated).
          "/assets/*",
          "  Cache-Control: public, max-age=31536000, immutable",
          "",
        ].join("\n"),
      });
    },
  };
}

export default defineConfig({
  root: import.meta.dirname,
  plugins: [
    preact(),
    securityHeaders(),
    // PDF.js's data files, fetched only when a PDF needs them (src/lib/pdf.ts): character maps
    // (CJK text), the standard fonts PDFs may name without embedding, and its decoders for JPEG 2000
    // and JBIG2 images, common in scans.
    viteStaticCopy({
      targets: ["cmaps", "standard_fonts", "wasm"].map((dir) => ({
        src: join(import.meta.dirname, "../node_modules/pdfjs-dist", dir).replaceAll("\\", "/"),
        dest: "pdfjs",
        rename: { stripBase: 2 }, // node_modules/pdfjs-dist/
      })),
    }),
  ],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    // The app, and the API reference at /docs (Swagger UI, about 1.5 MB, loaded only there).
    rollupOptions: {
      input: { app: join(import.meta.dirname, "index.html"), docs: join(import.meta.dirname, "docs/index.html") },
    },
    chunkSizeWarningLimit: 2000,
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(
      ["/v1", "/dev", "/healthz", "/readyz"].map((path) => [
        path,
        { target: process.env.VERBATIM_URL ?? "http://127.0.0.1:8787", ws: true },
      ]),
    ),
  },
});
