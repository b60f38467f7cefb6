import { type AvResult, type ExtractionResult, type OcrResult, ocrWarnings, type PartFailure } from "../contracts";

/**
 * Puts a fanned-out job's part results together in document order: pages by number, segments by
 * time. Parts that failed for good are listed in `failed_parts`, so the gap is stated, not hidden.
 * `parts` holds the results of the parts that succeeded (at least one), in any order.
 */
export function mergeParts(
  parts: readonly ExtractionResult[],
  failed: readonly PartFailure[],
  durationS: number | null,
): ExtractionResult {
  const [first] = parts;
  if (!first) throw new RangeError("nothing to merge: no part succeeded");
  const failedParts = failed.length > 0 ? { failed_parts: [...failed].sort((a, b) => a.part - b.part) } : {};
  if (first.kind === "ocr") {
    const ocrParts = parts as readonly OcrResult[];
    const pages = ocrParts.flatMap((part) => part.pages).sort((a, b) => a.page - b.page);
    const warnings = ocrWarnings(pages);
    // With `language: "auto"` each part found its own: the document's is the one most pages were read in.
    const detected = first.detected_language === undefined ? undefined : mostPagesIn(ocrParts);
    return {
      kind: "ocr",
      engine: first.engine,
      language: detected ?? first.language,
      ...(detected === undefined ? {} : { detected_language: detected }),
      pages,
      warnings,
      ...failedParts,
    };
  }
  const avParts = parts as readonly AvResult[];
  // With `language: "auto"` each part heard its own: the recording's is the one most speech was in.
  const detected = first.detected_language === undefined ? undefined : mostSpeechIn(avParts);
  return {
    kind: "av",
    engine: first.engine,
    // Translated text is English whatever was heard.
    language: first.translated ? first.language : (detected ?? first.language),
    ...(detected === undefined ? {} : { detected_language: detected }),
    ...(first.translated === undefined ? {} : { translated: first.translated }),
    duration_s: durationS ?? Math.max(...avParts.map((part) => part.duration_s)),
    segments: avParts.flatMap((part) => part.segments).sort((a, b) => a.start - b.start),
    // Each part says the same of the engine and the options: one of each warning is enough. A part
    // that named no language (silence, a language not listed) does not leave the recording's
    // unnamed when the others found one: its language_not_detected goes then.
    warnings: [...new Map(avParts.flatMap((part) => part.warnings).map((w) => [w.message, w])).values()].filter(
      (w) => !(typeof detected === "string" && w.code === "language_not_detected"),
    ),
    ...failedParts,
  };
}

/** The language the parts heard in the most seconds of speech; null when none heard one. */
function mostSpeechIn(parts: readonly AvResult[]): string | null {
  const secondsIn = new Map<string, number>();
  for (const part of parts) {
    if (part.detected_language) {
      const speech = part.segments.reduce((sum, segment) => sum + segment.end - segment.start, 0);
      secondsIn.set(part.detected_language, (secondsIn.get(part.detected_language) ?? 0) + speech);
    }
  }
  return [...secondsIn].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

/** The language the parts found for the most pages; null when none found one. */
function mostPagesIn(parts: readonly OcrResult[]): string | null {
  const pagesBy = new Map<string, number>();
  for (const part of parts) {
    if (part.detected_language) {
      pagesBy.set(part.detected_language, (pagesBy.get(part.detected_language) ?? 0) + part.pages.length);
    }
  }
  return [...pagesBy].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}
