import { fileTypeFromBlob } from "file-type";
import { type JobKind, SUPPORTED_MEDIA } from "../../contracts";

export const SUPPORTED_EXTENSIONS = Object.keys(SUPPORTED_MEDIA);

/** Decides the job kind from the file's content, never its name. `null` when unsupported. */
export async function detectFileKind(file: Blob): Promise<{ kind: JobKind; mime: string; ext: string } | null> {
  const type = await fileTypeFromBlob(file);
  const match = type && (SUPPORTED_MEDIA as Record<string, { kind: JobKind; mime: string }>)[type.ext];
  return type && match ? { ...match, ext: type.ext } : null;
}
