import { describe, expect, it } from "vitest";
import { curveOf, type Estimates, estimateJobSeconds, processingSeconds, profileOf, queueStateOf } from "./estimates";

/**
 * Times measured on this project's stack (2 cores, `npm run dev`, one job at a time): scanned PDFs
 * of 1, 3, 10 and 20 pages took 2.1, 1.8, 2.7 and 5.4 s; speech of 0.25, 1, 3 and 10 minutes took
 * 3.0, 10.0, 20.7 and 77.4 s. Neither is proportional to size.
 */
const PDF = [
  { units: 1, processing_s: 2.1 },
  { units: 3, processing_s: 1.8 },
  { units: 10, processing_s: 2.7 },
  { units: 20, processing_s: 5.4 },
];
const SPEECH = [
  { units: 0.25, processing_s: 3.0 },
  { units: 1, processing_s: 10.0 },
  { units: 3, processing_s: 20.7 },
  { units: 10, processing_s: 77.4 },
];

describe("estimates of a job's time", () => {
  it("tells files apart by what they are", () => {
    expect(["application/pdf", "image/png", "audio/mpeg", "video/webm"].map(profileOf)).toEqual([
      "pdf",
      "image",
      "audio",
      "video",
    ]);
  });

  it("keeps one point per band of size: the medians of the band's jobs", () => {
    expect(
      curveOf([
        { units: 1, processing_s: 2 },
        { units: 1, processing_s: 4 },
        { units: 1.5, processing_s: 9 },
        { units: 5, processing_s: 7 },
      ]),
    ).toEqual([
      { units: 1, seconds: 4, jobs: 3 },
      { units: 5, seconds: 7, jobs: 1 },
    ]);
  });

  it("follows the measured curve between its points, within half of what was measured", () => {
    // Each job left out in turn, estimated from the others: the estimate is within ±50 %.
    for (const series of [PDF, SPEECH]) {
      for (const [i, left] of series.entries()) {
        if (i === 0 || i === series.length - 1) continue;
        const curve = curveOf(series.filter((_, j) => j !== i));
        const estimate = processingSeconds(curve, left.units) ?? Number.NaN;
        expect(Math.abs(estimate - left.processing_s) / left.processing_s, `${left.units}`).toBeLessThanOrEqual(0.5);
      }
    }
    // Proportional with a single point above it, flat below it; never less for more.
    expect(processingSeconds([{ units: 2, seconds: 4, jobs: 1 }], 6)).toBe(12);
    expect(processingSeconds([{ units: 2, seconds: 4, jobs: 1 }], 1)).toBe(4);
    const curve = curveOf(SPEECH);
    const times = [0.1, 0.5, 2, 5, 20, 60].map((m) => processingSeconds(curve, m) ?? 0);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(processingSeconds([], 3)).toBeNull();
  });

  it("adds the typical wait and the work queued ahead, shared among the jobs processing", () => {
    const estimates: Estimates = {
      curves: { pdf: curveOf(PDF), image: [], audio: [], video: [] },
      queues: {
        ocr: queueStateOf(
          PDF.map((j) => ({ ...j, profile: "pdf", wait_s: 0.5 })),
          { queued: 3, processing: 2 },
        ),
        av: queueStateOf([], { queued: 0, processing: 0 }),
      },
    };
    // Median job 2.4 s; 3 queued over 2 processing: 3.6 s ahead; 0.5 s typical wait; 2.7 s for 10 pages.
    expect(estimateJobSeconds(estimates, "pdf", 10)).toBeCloseTo(0.5 + 3.6 + 2.7);
    expect(estimateJobSeconds(estimates, "audio", 1)).toBeNull();
  });
});
