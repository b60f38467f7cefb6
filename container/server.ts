import { serve } from "@hono/node-server";
import { createLogger } from "../contracts/log";
import { createApp } from "./app";
import { ConfigError, loadConfig } from "./config";
import { EngineInventory } from "./engine-inventory";
import { pocketsphinx } from "./engines/pocketsphinx";
import { tesseract } from "./engines/tesseract";
import { crashingFirst, unreadablePages } from "./fault-injection";
import { ProcessPool } from "./pool";

function main(): void {
  const config = loadConfig(process.env);
  const log = createLogger("runner", config.logLevel);
  let ocr = config.injectOcrCrashes > 0 ? crashingFirst(tesseract, config.injectOcrCrashes) : tesseract;
  if (config.injectUnreadablePages.length > 0) ocr = unreadablePages(ocr, config.injectUnreadablePages);
  const app = createApp({
    pool: new ProcessPool(config.concurrency),
    maxJobs: config.maxJobs,
    engineTimeoutMs: config.engineTimeoutMs,
    engineMemoryBytes: config.engineMemoryBytes,
    engineNice: config.engineNice,
    chunkSeconds: config.chunkSeconds,
    maxPageMegapixels: config.maxPageMegapixels,
    ocr,
    speech: pocketsphinx,
    inventory: new EngineInventory(tesseract, pocketsphinx),
    log,
  });
  if (config.injectOcrCrashes > 0)
    log.warn("drill: OCR runs will crash on purpose", { count: config.injectOcrCrashes });
  if (config.injectUnreadablePages.length > 0)
    log.warn("drill: pages will fail to decode on purpose", { pages: config.injectUnreadablePages });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (address) => {
    log.info("media runner listening", {
      url: `http://${address.address}:${address.port}`,
      concurrency: config.concurrency,
      max_jobs: config.maxJobs,
    });
  });
  // Containers are stopped with SIGTERM: stop accepting, let running jobs finish their streams.
  const shutDown = () => server.close(() => process.exit(0));
  process.once("SIGTERM", shutDown);
  process.once("SIGINT", shutDown);
}

try {
  main();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
