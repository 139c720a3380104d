/**
 * The media Meta's Cloud API takes, by MIME type, with its size limits (Meta's
 * "Supported media types"). Checked before a byte reaches Meta, so an upload Meta would
 * refuse after 100 MB costs nothing. A sticker's limit is the animated one (500 KB):
 * whether a WebP is animated is Meta's to judge.
 */
const MB = 1024 * 1024;
const KB = 1024;

export type MediaKind = "audio" | "document" | "image" | "sticker" | "video";

const TYPES: Record<string, { kind: MediaKind; maxBytes: number }> = {
  "audio/aac": { kind: "audio", maxBytes: 16 * MB },
  "audio/amr": { kind: "audio", maxBytes: 16 * MB },
  "audio/mpeg": { kind: "audio", maxBytes: 16 * MB },
  "audio/mp4": { kind: "audio", maxBytes: 16 * MB },
  "audio/ogg": { kind: "audio", maxBytes: 16 * MB },
  "text/plain": { kind: "document", maxBytes: 100 * MB },
  "application/pdf": { kind: "document", maxBytes: 100 * MB },
  "application/msword": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.ms-excel": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.ms-powerpoint": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { kind: "document", maxBytes: 100 * MB },
  "application/vnd.openxmlformats-officedocument.presentationml.presentation": { kind: "document", maxBytes: 100 * MB },
  "image/jpeg": { kind: "image", maxBytes: 5 * MB },
  "image/png": { kind: "image", maxBytes: 5 * MB },
  "image/webp": { kind: "sticker", maxBytes: 500 * KB },
  "video/3gpp": { kind: "video", maxBytes: 16 * MB },
  "video/mp4": { kind: "video", maxBytes: 16 * MB },
};

/** The largest upload of any type, plus room for the form's other fields. */
export const MEDIA_MAX_FILE_BYTES = 100 * MB;
export const MEDIA_FORM_OVERHEAD_BYTES = 64 * KB;
export const MEDIA_MAX_BODY_BYTES = MEDIA_MAX_FILE_BYTES + MEDIA_FORM_OVERHEAD_BYTES;

/** `audio/ogg; codecs=opus` → audio/ogg; video/3gp (as Meta's table spells it) → video/3gpp. */
export function baseMime(mime: string): string {
  const m = mime.split(";")[0]!.trim().toLowerCase();
  return m === "video/3gp" ? "video/3gpp" : m;
}

export function mediaLimit(mime: string): { kind: MediaKind; maxBytes: number } | undefined {
  return TYPES[baseMime(mime)];
}

export const SUPPORTED_MIME_TYPES = Object.keys(TYPES);

export const describeBytes = (n: number) => (n >= MB ? `${n / MB} MB` : `${n / KB} KB`);
