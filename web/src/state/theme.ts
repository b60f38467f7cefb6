import { effect, signal } from "@preact/signals";

/** Light, dark, or as the system says; the choice is kept across visits. */
export type Theme = "light" | "dark" | "system";
const STORAGE_KEY = "verbatim.theme";

export const theme = signal<Theme>((localStorage.getItem(STORAGE_KEY) as Theme | null) ?? "system");

effect(() => {
  localStorage.setItem(STORAGE_KEY, theme.value);
  if (theme.value === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme.value;
});
