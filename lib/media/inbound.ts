import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import type { Services } from "../context.js";
import { MEDIA_EVENT_LINK_TTL_S, signMediaLink } from "./link.js";
import { MEDIA_ID } from "./store.js";

const MEDIA_TYPES = new Set(["image", "audio", "video", "document", "sticker"]);

export interface InboundMedia {
  id: string;
  mime_type: string | null;
  sha256: string | null;
  download_url: string;
  download_url_expires_at: string;
}

/** Signs event links; built by the ingest from its services. */
export type MediaLinker = (workspaceId: string, mediaId: string) => Promise<{ url: string; expiresAt: Date }>;

export const mediaLinker =
  (s: Services): MediaLinker =>
  (workspaceId, mediaId) =>
    signMediaLink(s, { workspaceId, mediaId }, MEDIA_EVENT_LINK_TTL_S);

/**
 * A customer's media message: its Meta media id becomes the workspace's (so GET and the
 * download link answer for it), and the message.received event carries a download link.
 * In the inbound message's transaction: the row and the message land together.
 */
export async function recordInboundMedia(tx: Tx, ctx: { workspaceId: string; numberId: string; mediaLink?: MediaLinker }, m: { type: string } & Record<string, unknown>): Promise<InboundMedia | undefined> {
  if (!MEDIA_TYPES.has(m.type) || !ctx.mediaLink) return undefined;
  const obj = m[m.type] as { id?: unknown; mime_type?: unknown; sha256?: unknown } | undefined;
  const id = typeof obj?.id === "string" ? obj.id : undefined;
  if (!id || !MEDIA_ID.test(id)) return undefined;
  const mime = typeof obj!.mime_type === "string" && obj!.mime_type.length <= 255 && obj!.mime_type ? obj!.mime_type : null;
  const sha256 = typeof obj!.sha256 === "string" && obj!.sha256.length <= 128 ? obj!.sha256 : null;
  await tx.execute(sql`
    insert into media (workspace_id, media_id, whatsapp_number_id, mime_type, sha256, source)
    values (${ctx.workspaceId}, ${id}, ${ctx.numberId}, ${mime ?? "application/octet-stream"}, ${sha256}, 'inbound')
    on conflict (workspace_id, media_id) do nothing`);
  const link = await ctx.mediaLink(ctx.workspaceId, id);
  return { id, mime_type: mime, sha256, download_url: link.url, download_url_expires_at: link.expiresAt.toISOString() };
}
