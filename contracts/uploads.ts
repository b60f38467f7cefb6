import { z } from "zod";
import { JobOptions } from "./job";

/**
 * A multipart upload, for files larger than one request should carry: created with the file's name
 * and size, sent in numbered parts of `part_size` bytes (any order, each again if it failed), then
 * completed, which checks the content and creates the job. Resumable: `received` says which parts
 * arrived.
 */
export const CreateUpload = z
  .object({
    file_name: z.string().min(1).max(500),
    size: z.number().int().positive(),
    options: JobOptions.optional(),
  })
  .strict();

export const Upload = z.object({
  id: z.string(),
  file_name: z.string(),
  size: z.number().int(),
  part_size: z.number().int(),
  part_count: z.number().int(),
  /** Part numbers received so far (1-based). */
  received: z.array(z.number().int()),
  created_at: z.string(),
  /** An upload not completed by then is discarded. */
  expires_at: z.string(),
  /** The job, once the upload is completed. */
  job_id: z.string().nullable(),
});
export type Upload = z.infer<typeof Upload>;
