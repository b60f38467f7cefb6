import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type AppDeps, createApp } from "../app";
import { EngineInventory } from "../engine-inventory";
import { pocketsphinx } from "../engines/pocketsphinx";
import { tesseract } from "../engines/tesseract";
import { ProcessPool } from "../pool";

export interface RunningRunner {
  /** e.g. http://127.0.0.1:40123 */
  baseUrl: string;
  deps: AppDeps;
  close(): Promise<void>;
}

/** Starts the real app on a real HTTP server on an ephemeral port, with the real engines unless overridden. */
export async function startRunner(overrides: Partial<AppDeps> = {}): Promise<RunningRunner> {
  const ocr = overrides.ocr ?? tesseract;
  const speech = overrides.speech ?? pocketsphinx;
  const deps: AppDeps = {
    pool: new ProcessPool(2),
    maxJobs: 16,
    engineTimeoutMs: 60_000,
    engineMemoryBytes: 4096 * 1024 * 1024,
    engineNice: 0,
    chunkSeconds: 60,
    maxPageMegapixels: 150,
    inventory: new EngineInventory(ocr, speech),
    ...overrides,
    ocr,
    speech,
  };
  const app = createApp(deps);
  const server = await new Promise<Server>((resolve) => {
    const started = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(started as Server));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    deps,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // A socket whose client aborted lingers for seconds before it closes; tests need not wait for it.
        server.closeAllConnections();
      }),
  };
}
