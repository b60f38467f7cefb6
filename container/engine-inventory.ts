import { ffmpeg } from "./engines/ffmpeg";
import type { OcrEngine } from "./engines/ocr-engine";
import { poppler } from "./engines/poppler";
import type { SpeechEngine } from "./engines/speech-engine";
import { execFile, type Run } from "./exec";

export interface Inventory {
  /** True when every engine answered. */
  complete: boolean;
  /** Engine name → version, or "unavailable". */
  engines: Record<string, string>;
  /** Installed OCR languages. */
  languages: string[];
}

/** Version probes are instant; a tool that takes this long is broken. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * Which engines and OCR languages this runner has. Read once and then cached — installed software does not
 * change under a running container — unless a probe failed, so a later read can see a repaired tool.
 * The probes bypass the process pool: health checks must answer while the pool is saturated.
 */
export class EngineInventory {
  #pending: Promise<Inventory> | undefined;

  constructor(
    private readonly ocr: OcrEngine,
    private readonly speech: SpeechEngine,
  ) {}

  read(): Promise<Inventory> {
    this.#pending ??= this.#probe().then((inventory) => {
      if (!inventory.complete) this.#pending = undefined;
      return inventory;
    });
    return this.#pending;
  }

  async #probe(): Promise<Inventory> {
    const run: Run = (command, args, options) => execFile(command, args, { ...options, timeoutMs: PROBE_TIMEOUT_MS });
    const probes: [string, Promise<string>][] = [
      [this.ocr.name, this.ocr.version(run)],
      [this.speech.name, this.speech.version(run)],
      ["ffmpeg", ffmpeg.version(run)],
      ["poppler", poppler.version(run)],
    ];
    const languages = this.ocr.languages(run).catch(() => undefined);
    const versions = await Promise.allSettled(probes.map(([, version]) => version));
    const installed = await languages;
    return {
      complete: installed !== undefined && versions.every((version) => version.status === "fulfilled"),
      engines: Object.fromEntries(
        probes.map(([name], index) => {
          const version = versions[index];
          return [name, version?.status === "fulfilled" ? version.value : "unavailable"];
        }),
      ),
      languages: installed ?? [],
    };
  }
}
