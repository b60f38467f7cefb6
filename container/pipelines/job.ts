import type { RunnerEvent } from "../../contracts/runner";
import type { Run } from "../exec";

export type Emit = (event: RunnerEvent) => void;

/** What a pipeline gets for one request. */
export interface Job {
  /** The uploaded file. */
  inputPath: string;
  /** Its media type, as sniffed by the API (the request's Content-Type, without parameters). */
  mediaType: string;
  language: string;
  /** Runs a process for this job (pooled, time-limited, killed with the job). */
  run: Run;
  /** A path inside the job's private temp directory. */
  path(name: string): string;
  /** Sends a progress event down the response stream. */
  emit: Emit;
  /** How many pages or chunks to work on at once (more would only queue inside the process pool). */
  parallelism: number;
}
