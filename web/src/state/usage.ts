import { signal } from "@preact/signals";
import type { Usage } from "../../../contracts/limits";
import { api, unwrap } from "../api/client";
import { clearOnSignOut } from "./session";

/** The signed-in user's limits, usage, upload limits and measured throughput (GET /v1/usage). */
export const usage = signal<Usage | null>(null);
export const usageError = signal<unknown>(null);
clearOnSignOut(() => {
  usage.value = null;
  usageError.value = null;
});

export async function loadUsage(): Promise<Usage | null> {
  try {
    usage.value = await unwrap(api.GET("/v1/usage"));
    usageError.value = null;
  } catch (err) {
    usageError.value = err;
  }
  return usage.value;
}
