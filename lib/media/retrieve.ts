import { and, eq, isNull, or } from "drizzle-orm";
import { media } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { downloadFromMeta, metaMediaInfo } from "./graph.js";
import { openMediaLink, signMediaLink } from "./link.js";
import { findMedia, graphTarget, mediaNotFound, tokenOf, type MediaRow } from "./store.js";

export interface MediaInfo {
  messaging_product: "whatsapp";
  /** Sandesh's short-lived download link, in place of Meta's URL (which needs the token). */
  url: string;
  mime_type: string;
  sha256: string | null;
  file_size: number | null;
  /** As Meta wrote it (Graph's answer passes it on unchanged). */
  meta_file_size: number | string | null;
  id: string;
  url_expires_at: string;
  source: MediaRow["source"];
  phone_number_id: string;
  created_at: string;
}

/**
 * GET /{media-id}: Meta's metadata, asked with the number's token, with its `url`
 * replaced by a Sandesh download link. Meta's URL and the token stay here.
 */
export async function mediaInfo(s: Services, workspaceId: string, mediaId: string): Promise<MediaInfo> {
  const { row, number } = await findMedia(s, workspaceId, mediaId);
  const meta = await metaMediaInfo(graphTarget(s), await tokenOf(s, number), mediaId, number.phoneNumberId);
  const size = meta.file_size === undefined || meta.file_size === "" ? row.fileSize : Number(meta.file_size);
  const sha256 = meta.sha256 ?? row.sha256;
  // Inbound media arrives without a size: Meta's answer completes the row.
  if ((row.fileSize === null && size !== null) || (row.sha256 === null && sha256 !== null)) {
    await withTenant(s.db, workspaceId, (tx) =>
      tx.update(media).set({ fileSize: size, sha256 }).where(and(eq(media.mediaId, mediaId), or(isNull(media.fileSize), isNull(media.sha256)))),
    );
  }
  const link = await signMediaLink(s, { workspaceId, mediaId });
  return {
    messaging_product: "whatsapp",
    url: link.url,
    mime_type: meta.mime_type ?? row.mimeType,
    sha256,
    file_size: size,
    meta_file_size: meta.file_size ?? size,
    id: mediaId,
    url_expires_at: link.expiresAt.toISOString(),
    source: row.source,
    phone_number_id: number.phoneNumberId,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * GET /media/download/<token>: the bytes, streamed from Meta as they come. The link
 * names the workspace and the media; a link that is not Sandesh's, altered, expired, or
 * whose media was deleted is one answer (not found), so it tells a prober nothing.
 */
export async function downloadMedia(s: Services, token: string): Promise<Response> {
  const claim = await openMediaLink(s, token);
  if (!claim) throw mediaNotFound("link");
  const { number } = await findMedia(s, claim.workspaceId, claim.mediaId).catch(() => {
    throw mediaNotFound("link");
  });
  const t = graphTarget(s);
  const metaToken = await tokenOf(s, number);
  const meta = await metaMediaInfo(t, metaToken, claim.mediaId, number.phoneNumberId);
  const res = await downloadFromMeta(t, metaToken, meta.url);
  const headers = new Headers({ "content-type": res.headers.get("content-type") ?? meta.mime_type ?? "application/octet-stream", "cache-control": "private, no-store" });
  // Meta's own framing and file name go with the bytes; nothing else of Meta's answer does.
  for (const h of ["content-length", "content-disposition"]) {
    const value = res.headers.get(h);
    if (value) headers.set(h, value);
  }
  return new Response(res.body, { status: 200, headers });
}
