import { eq, sql } from "drizzle-orm";
import { supportGrants } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { lockGrant } from "./grant-row.js";

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

/**
 * Ends a grant now: an approved one (active or run out), or a pending request the
 * operator withdraws. Nothing is cached, so the very next request with its token is
 * refused (lib/support/authenticate.ts). Again: "already revoked", nothing recorded.
 * Audited as support.revoked.
 */
export async function revokeSupportGrant(s: Services, workspaceId: string, id: string, actor: Actor): Promise<{ alreadyRevoked: boolean }> {
  return withTenant(s.db, workspaceId, async (tx) => {
    const g = await lockGrant(tx, id);
    if (g.status === "revoked") return { alreadyRevoked: true };
    if (g.status === "denied") throw new AppError(409, "support_grant_not_active", "The support request was denied; there is nothing to revoke", { status: g.status });
    await tx.update(supportGrants).set({ status: "revoked", revokedBy: actor.actorId ?? actor.actorType, revokedAt: sql`now()` }).where(eq(supportGrants.id, id));
    await recordAudit(tx, { ...actor, workspaceId, action: "support.revoked", objectType: "support_grant", objectId: id, details: { operator: g.operator, was: g.status } });
    return { alreadyRevoked: false };
  });
}
