import { and, eq, isNull } from "drizzle-orm";
import { invitations } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import type { PersonActor } from "./actor.js";

/** Withdraws a pending invitation: its link is refused from now on. Used or withdrawn already: nothing changes. */
export async function revokeInvitation(s: Services, workspaceId: string, invitationId: string, actor: PersonActor): Promise<{ changed: boolean }> {
  return withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.select({ id: invitations.id }).from(invitations).where(eq(invitations.id, invitationId));
    if (!row) throw notFound("Invitation");
    const done = await tx
      .update(invitations)
      .set({ revokedAt: s.clock.now() })
      .where(and(eq(invitations.id, invitationId), isNull(invitations.acceptedAt), isNull(invitations.revokedAt)))
      .returning({ id: invitations.id });
    if (done[0]) await recordAudit(tx, { ...actor, workspaceId, action: "invitation.revoked", objectType: "invitation", objectId: invitationId });
    return { changed: Boolean(done[0]) };
  });
}
