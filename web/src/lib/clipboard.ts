/** What to do when the browser does not copy: the user copies by hand. */
const BY_HAND = "select the text and copy it with Ctrl+C (⌘C on a Mac)";

/**
 * Puts `text` on the clipboard. Throws an Error saying why when the browser has no clipboard here
 * (an insecure page, an old browser) or refuses to write to it (no permission, the page not focused).
 */
export async function copyText(text: string): Promise<void> {
  const clipboard = typeof navigator === "undefined" ? undefined : navigator.clipboard;
  if (typeof clipboard?.writeText !== "function") {
    throw new Error(`This browser does not allow copying here: ${BY_HAND}.`);
  }
  try {
    await clipboard.writeText(text);
  } catch (cause) {
    throw new Error(`The browser refused to copy: ${BY_HAND}.`, { cause });
  }
}
