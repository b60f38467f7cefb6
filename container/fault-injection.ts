import type { OcrEngine } from "./engines/ocr-engine";
import { ExecError } from "./exec";
import { mediaCorrupt } from "./pipelines/failures";

/**
 * For reliability drills only (RUNNER_INJECT_OCR_CRASHES, off by default): the first `count`
 * engine runs crash as a killed engine process would, which the runner reports as a retryable
 * `engine_failed`. The drills prove that such failures are retried with backoff and end well.
 */
export function crashingFirst(engine: OcrEngine, count: number): OcrEngine {
  let remaining = count;
  return {
    ...engine,
    recognize: (run, images, options) => {
      if (remaining > 0) {
        remaining -= 1;
        return Promise.reject(new ExecError("signal", engine.name, "", "was killed by SIGKILL (injected fault)"));
      }
      return engine.recognize(run, images, options);
    },
  };
}

/**
 * For partial-failure drills only (RUNNER_INJECT_UNREADABLE_PAGES, off by default): recognizing one of
 * `pages` always fails as an undecodable page would (`media_corrupt`, not retryable), so a fanned-out
 * job has a part that fails for good while the others succeed.
 */
export function unreadablePages(engine: OcrEngine, pages: readonly number[]): OcrEngine {
  return {
    ...engine,
    recognize: (run, images, options) => {
      const unreadable = images.find((image) => pages.includes(image.page));
      return unreadable
        ? Promise.reject(mediaCorrupt(`Page ${unreadable.page} could not be decoded (injected fault)`))
        : engine.recognize(run, images, options);
    },
  };
}
