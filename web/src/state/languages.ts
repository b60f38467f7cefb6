import { signal } from "@preact/signals";
import type { Languages } from "../../../contracts/languages";
import { api, unwrap } from "../api/client";
import { clearOnSignOut } from "./session";

/** What this deployment reads and hears (GET /v1/languages), and the language uploads are sent with. */
export const languages = signal<Languages | null>(null);
export const uploadLanguage = signal("eng");
clearOnSignOut(() => {
  languages.value = null;
  uploadLanguage.value = "eng";
});

export async function loadLanguages(): Promise<void> {
  try {
    languages.value = await unwrap(api.GET("/v1/languages"));
  } catch {
    // The choice stays at the default (English), which every deployment reads.
  }
}

/** A language's name in the browser's language, from its Tesseract code (`deu` → German), or the code itself. */
export function languageName(code: string): string {
  try {
    return new Intl.DisplayNames(undefined, { type: "language" }).of(code.split("_")[0] ?? code) ?? code;
  } catch {
    return code;
  }
}
