import { describe, expect, it } from "vitest";
import type { Usage } from "../../../contracts/limits";
import { missingParts } from "../api/parts";
import { assess, assessAll, checkType, estimateSeconds } from "./upload-rules";

const MiB = 1024 * 1024;
const uploads = { max_direct_bytes: 100 * MiB, max_multipart_bytes: 5 * 1024 * MiB, part_bytes: 10 * MiB };
const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0),
);

const idle = { typical_wait_s: null, queued: 0, processing: 0, job_s: null };

function usage(patch: Partial<Usage> = {}): Usage {
  return {
    limits: {
      max_concurrent_jobs: 20,
      daily_jobs: 2000,
      daily_pages: 100,
      daily_audio_minutes: 60,
      max_pages_per_job: 50,
      max_minutes_per_job: 30,
      max_open_uploads: 20,
      max_open_upload_bytes: 20 * 1024 ** 3,
      max_api_keys: 100,
    },
    concurrent_jobs: 0,
    open_uploads: { count: 0, bytes: 0 },
    api_keys: 1,
    day: { since: "2026-11-27T12:00:00Z", jobs: 0, pages: 90, audio_minutes: 0 },
    uploads,
    throughput: {
      window_s: 604800,
      ocr_per_page: { seconds_per_unit: 2.5, jobs: 4 },
      av_per_minute: null,
      estimates: {
        curves: { pdf: [{ units: 2, seconds: 5, jobs: 4 }], image: [], audio: [], video: [] },
        queues: { ocr: idle, av: idle },
      },
    },
    ...patch,
  };
}

describe("checking a file before upload, by the API's rules", () => {
  it("decides the kind from the bytes and accepts a name of the same family", async () => {
    expect(await checkType(new File([PNG], "scan.png", { type: "image/png" }), uploads)).toEqual({
      ok: true,
      kind: "ocr",
      mime: "image/png",
      inParts: false,
    });
  });

  it("refuses empty, unknown, contradicting and oversized files with the API's codes", async () => {
    const code = async (file: File, limits = uploads) => {
      const verdict = await checkType(file, limits);
      return verdict.ok ? "ok" : verdict.code;
    };
    expect(await code(new File([], "empty.pdf"))).toBe("file_empty");
    expect(await code(new File(["just some text"], "notes.txt"))).toBe("unsupported_media_type");
    expect(await code(new File([PNG], "scan.pdf"))).toBe("media_type_mismatch");
    expect(await code(new File([PNG], "scan.png", { type: "audio/mpeg" }))).toBe("media_type_mismatch");
    expect(await code(new File([PNG], "scan.png"), { ...uploads, max_multipart_bytes: 10 })).toBe("payload_too_large");
  });

  it("sends a file larger than one request carries in parts", async () => {
    const verdict = await checkType(new File([PNG], "scan.png"), { ...uploads, max_direct_bytes: 10 });
    expect(verdict.ok && verdict.inParts).toBe(true);
  });
});

describe("assessing a file against limits and quotas", () => {
  it("estimates from what jobs of the same profile took, or says nothing when none was measured", () => {
    expect(assess({ pages: 4, profile: "pdf" }, usage())).toEqual({
      estimate_s: 10,
      errors: [],
      warnings: [],
      quota: { uses: 4, left: 10, unit: "pages" },
    });
    // Images are not PDFs: no image was measured.
    expect(assess({ pages: 1, profile: "image" }, usage()).estimate_s).toBeNull();
    expect(assess({ minutes: 3, profile: "audio" }, usage()).estimate_s).toBeNull();
    const { throughput } = usage();
    const busy = {
      ...throughput,
      estimates: {
        curves: { ...throughput.estimates.curves, audio: [{ units: 1, seconds: 15, jobs: 1 }] },
        // 4 queued behind 2 processing, 10 s each: 20 s before this one starts, after 1 s of typical wait.
        queues: { ...throughput.estimates.queues, av: { typical_wait_s: 1, queued: 4, processing: 2, job_s: 10 } },
      },
    };
    expect(estimateSeconds({ minutes: 2, profile: "audio" }, busy)).toBe(1 + 20 + 30);
  });

  it("flags a per-job limit as an error and what is left of today's quota as a warning", () => {
    expect(assess({ pages: 60, profile: "pdf" }, usage()).errors).toEqual([
      "60 pages is over the limit of 50 pages per job.",
    ]);
    expect(assess({ pages: 20, profile: "pdf" }, usage()).warnings).toEqual([
      "20 pages is more than is left of today's quota (10 pages).",
    ]);
    expect(assess({ minutes: 45, profile: "audio" }, usage()).errors).toEqual([
      "45 minutes is over the limit of 30 minutes per job.",
    ]);
    const busy = usage({ concurrent_jobs: 20, day: { ...usage().day, jobs: 2000 } });
    expect(assess(null, busy).warnings).toHaveLength(2);
  });
});

describe("assessing several files sent together", () => {
  it("counts the files before each one against what is left of the quota and the running jobs", () => {
    const [first, second, third] = assessAll(
      [{ pages: 6, profile: "pdf" }, { pages: 6, profile: "image" }, null],
      usage({ concurrent_jobs: 18 }),
    );
    expect(first?.warnings).toEqual([]);
    expect(second?.warnings).toEqual(["6 pages is more than is left of today's quota (4 pages)."]);
    expect(third?.warnings).toEqual(["20 jobs are running, the most at once; it will be refused until one ends."]);
  });
});

describe("resuming a multipart upload", () => {
  it("sends only the parts the API does not have", () => {
    expect(missingParts(4, [1, 3])).toEqual([2, 4]);
    expect(missingParts(2, [1, 2])).toEqual([]);
  });
});
