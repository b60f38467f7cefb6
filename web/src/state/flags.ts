import { effect, signal } from "@preact/signals";
import { api, unwrap } from "../api/client";
import { session } from "./session";

/** Feature flags as they apply to the signed-in user (GET /v1/flags), read once per sign-in. */
export const flags = signal<Record<string, boolean>>({});

effect(() => {
  if (!session.value) {
    flags.value = {};
    return;
  }
  unwrap(api.GET("/v1/flags")).then(
    (value) => {
      flags.value = value;
    },
    () => {
      flags.value = {};
    },
  );
});
