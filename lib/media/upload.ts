import { media } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError, validationFailed } from "../errors.js";
import { uploadToMeta } from "./graph.js";
import { baseMime, describeBytes, MEDIA_FORM_OVERHEAD_BYTES, MEDIA_MAX_BODY_BYTES, MEDIA_MAX_FILE_BYTES, mediaLimit, SUPPORTED_MIME_TYPES } from "./limits.js";
import { boundaryOf, inspectMediaForm, MediaFormError } from "./multipart.js";
import { graphTarget, numberRow, tokenOf } from "./store.js";

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

export interface UploadInput {
  workspaceId: string;
  phoneNumberId: string;
  contentType: string | undefined;
  contentLength: number | undefined;
  body: ReadableStream<Uint8Array> | null;
}

export interface Uploaded {
  id: string;
  mime_type: string;
  file_size: number;
  sha256: string;
}

/** Meta's form: messaging_product=whatsapp, type=<MIME>, file. The type decides the limit. */
const unsupported = (mime: string | undefined) =>
  validationFailed([{ field: "type", message: `must be one of ${SUPPORTED_MIME_TYPES.join(", ")}` }], `Meta does not take media of type ${mime ?? "(none)"}`);

const tooLarge = (mime: string | undefined, max: number) =>
  new AppError(413, "payload_too_large", mime ? `Media of type ${baseMime(mime)} is limited to ${describeBytes(max)}` : `Uploads are limited to ${describeBytes(MEDIA_MAX_FILE_BYTES)} (documents), with ${describeBytes(MEDIA_FORM_OVERHEAD_BYTES)} for the form's other fields`, [{ field: "file", message: `must be at most ${max} bytes` }]);

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, max: number): Promise<void> {
  try {
    for (let n = 0; n <= max; ) {
      const { done, value } = await reader.read();
      if (done) return;
      n += value.length;
    }
    await reader.cancel();
  } catch {
    // the client went away: nobody to answer
  }
}

function mimeOf(fields: Record<string, string>, file: { contentType?: string }): string | undefined {
  // The `type` field is Meta's word for the media's type; a file part's own type stands in when it is missing.
  return fields.type?.trim() || file.contentType;
}

/**
 * POST /{phone-number-id}/media: the form streams to Meta with the number's token as it
 * arrives; the type's limit is checked from the part headers on and the bytes are
 * counted, so nothing past the limit reaches Meta (413). The media id is recorded as the
 * workspace's.
 */
export async function uploadMedia(s: Services, input: UploadInput, actor: Actor): Promise<Uploaded> {
  const boundary = boundaryOf(input.contentType);
  if (!boundary) throw validationFailed([{ field: "content-type", message: "must be multipart/form-data with a boundary" }], "Upload media as multipart/form-data (fields messaging_product, type, file)");
  if (input.contentLength !== undefined && input.contentLength > MEDIA_MAX_BODY_BYTES) throw tooLarge(undefined, MEDIA_MAX_BODY_BYTES);
  if (!input.body) throw validationFailed([{ field: "file", message: "is required" }], "The form has no file");
  const number = await numberRow(s, input.workspaceId, input.phoneNumberId);

  const form = inspectMediaForm(
    boundary,
    (fields, file) => {
      const mime = mimeOf(fields, file);
      const limit = mime ? mediaLimit(mime) : undefined;
      if (!limit) throw unsupported(mime);
      return limit.maxBytes;
    },
    ({ fields, file }) => {
      if (fields.messaging_product !== "whatsapp") throw validationFailed([{ field: "messaging_product", message: "must be whatsapp" }], "The form's messaging_product must be whatsapp");
      const mime = mimeOf(fields, file);
      const limit = mime ? mediaLimit(mime) : undefined;
      if (!limit) throw unsupported(mime);
      if (file.size > limit.maxBytes) throw tooLarge(mime!, limit.maxBytes);
      if (file.size === 0) throw validationFailed([{ field: "file", message: "is empty" }], "The file is empty");
    },
  );
  const refusal = (err: unknown) => {
    const e = form.failure() ?? err;
    if (e instanceof MediaFormError) {
      if (e.kind === "too_large") {
        const seen = form.seen();
        const mime = mimeOf(seen.fields, seen.file ?? {});
        const limit = mime ? mediaLimit(mime) : undefined;
        throw limit ? tooLarge(mime, limit.maxBytes) : tooLarge(undefined, MEDIA_MAX_BODY_BYTES);
      }
      throw validationFailed([{ field: "file", message: e.message }], `The upload is not a form Meta takes: ${e.message}`);
    }
    if (e instanceof AppError) throw e;
    return undefined;
  };

  const token = await tokenOf(s, number);
  const reader = input.body.getReader();
  // Each chunk is judged before it goes on to Meta; a refused one errors the request to Meta instead.
  const outgoing = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      const { done, value } = await reader.read();
      try {
        if (done) {
          form.end();
          ctrl.close();
        } else {
          form.push(value);
          ctrl.enqueue(value);
        }
      } catch (err) {
        ctrl.error(err);
      }
    },
    cancel: () => reader.cancel(),
  });
  let id: string;
  try {
    ({ id } = await uploadToMeta(graphTarget(s), token, number.phoneNumberId, input.contentType!, outgoing, refusal));
  } catch (err) {
    // The rest of a refused body is read and dropped, so the client (which may still be
    // sending) reads the answer instead of a closed connection. Bounded like any upload.
    await drain(reader, MEDIA_MAX_BODY_BYTES);
    refusal(err);
    throw err;
  }
  const { file, fields } = await form.form;
  const mime = baseMime(mimeOf(fields, file)!);
  await withTenant(s.db, input.workspaceId, async (tx) => {
    await tx
      .insert(media)
      .values({ workspaceId: input.workspaceId, mediaId: id, whatsappNumberId: number.id, mimeType: mime, fileSize: file.size, sha256: file.sha256, source: "upload" })
      .onConflictDoUpdate({ target: [media.workspaceId, media.mediaId], set: { mimeType: mime, fileSize: file.size, sha256: file.sha256 } });
    await recordAudit(tx, { ...actor, workspaceId: input.workspaceId, action: "media.uploaded", objectType: "media", objectId: id, details: { phone_number_id: number.phoneNumberId, mime_type: mime, file_size: file.size } });
  });
  return { id, mime_type: mime, file_size: file.size, sha256: file.sha256 };
}
