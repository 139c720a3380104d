import { eq } from "drizzle-orm";
import { media } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { deleteMetaMedia } from "./graph.js";
import { findMedia, graphTarget, tokenOf } from "./store.js";

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

/** DELETE /{media-id}: at Meta first, then the row; links already handed out stop working. */
export async function deleteMedia(s: Services, workspaceId: string, mediaId: string, actor: Actor): Promise<void> {
  const { number } = await findMedia(s, workspaceId, mediaId);
  await deleteMetaMedia(graphTarget(s), await tokenOf(s, number), mediaId, number.phoneNumberId);
  await withTenant(s.db, workspaceId, async (tx) => {
    await tx.delete(media).where(eq(media.mediaId, mediaId));
    await recordAudit(tx, { ...actor, workspaceId, action: "media.deleted", objectType: "media", objectId: mediaId, details: { phone_number_id: number.phoneNumberId } });
  });
}
