import { z } from "zod";

/**
 * Every feature flag, with what it guards and its value when nobody has set it. Flags live in D1
 * (`feature_flags`), are changed through the admin API without a deploy, and are read by the API,
 * the consumers and (through GET /v1/flags) the UI.
 */
export const FLAGS = {
  speech_workers_ai: {
    description:
      "Transcribe with Whisper on Workers AI (where SPEECH_ENGINE=workers-ai) instead of the runner's engine",
    default: { enabled: true, rollout_percent: 100 },
  },
  speech_nova3: {
    description:
      "Offer Deepgram nova-3 on Workers AI (where SPEECH_ENGINE=workers-ai): speaker labels (diarize), key terms; picked by `auto` when the options need it",
    default: { enabled: true, rollout_percent: 100 },
  },
  fan_out: {
    description:
      "Split large jobs into parts (FAN_OUT_PAGES pages, FAN_OUT_SECONDS of audio) that run in parallel and retry alone",
    default: { enabled: true, rollout_percent: 100 },
  },
  reuse_identical: {
    description: "Honour ?reuse=identical on POST /v1/jobs (return a finished job for identical content)",
    default: { enabled: true, rollout_percent: 100 },
  },
  ui_page_view: {
    description: "Web UI: show OCR results over the page images (renders the uploaded PDF in the browser with PDF.js)",
    default: { enabled: true, rollout_percent: 100 },
  },
} as const satisfies Record<string, { description: string; default: { enabled: boolean; rollout_percent: number } }>;

export const FlagName = z.enum(Object.keys(FLAGS) as [keyof typeof FLAGS, ...(keyof typeof FLAGS)[]]);
export type FlagName = z.infer<typeof FlagName>;

export const FlagSetting = z.object({
  /** The kill switch: false turns the flag off for everyone, whatever the rollout. */
  enabled: z.boolean(),
  /** Share of users (by a stable hash of flag and user) who get the flag. */
  rollout_percent: z.number().int().min(0).max(100),
});
export type FlagSetting = z.infer<typeof FlagSetting>;

export const Flag = FlagSetting.extend({ name: FlagName, description: z.string(), updated_at: z.string().nullable() });
export type Flag = z.infer<typeof Flag>;
