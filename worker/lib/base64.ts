/**
 * The bytes of a base64 text. A plain loop over `atob`'s result: `Uint8Array.from(atob(text), (ch) =>
 * ch.charCodeAt(0))`, the usual one-liner, iterates the string and calls back once per byte, which took
 * 273 ms for a 3.5 MB searchable PDF against 9.6 ms for this loop (Node 22, the same V8 as workerd) —
 * CPU taken from the one thread that also answers the API.
 */
export function bytesFromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
