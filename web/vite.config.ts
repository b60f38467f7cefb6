import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

/**
 * The web UI. `npm run build:web` writes web/dist, which the worker serves on the API's origin
 * (wrangler.toml `[assets]`); `npm run deploy:web` puts the same build on Pages, with VITE_API_URL
 * naming the API's origin. `npm run dev:web` serves it with hot reload, the API proxied to the stack.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [preact()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    // The app, and the API reference at /docs (Swagger UI, about 1.5 MB, loaded only there).
    rollupOptions: { input: { app: "web/index.html", docs: "web/docs/index.html" } },
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
