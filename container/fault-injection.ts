import type { OcrEngine } from "./engines/ocr-engine";
import { ExecError } from "./exec";

/**
 * For reliability drills only (RUNNER_INJECT_OCR_CRASHES, off by default): the first `count`
 * recognitions crash as a killed engine process would, which the runner reports as a retryable
 * `engine_failed`. The drills prove that such failures are retried with backoff and end well.
 */
export function crashingFirst(engine: OcrEngine, count: number): OcrEngine {
  let remaining = count;
  return {
    ...engine,
    recognize: (run, imagePath, options) => {
      if (remaining > 0) {
        remaining -= 1;
        return Promise.reject(new ExecError("signal", engine.name, "", "was killed by SIGKILL (injected fault)"));
      }
      return engine.recognize(run, imagePath, options);
    },
  };
}
