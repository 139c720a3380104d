import { eq, sql } from "drizzle-orm";
import { supportGrants } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { lockGrant } from "./grant-row.js";
import { approvableHours, PENDING_HOURS } from "./limits.js";

type Member = Pick<AuditEntry, "actorId" | "ip" | "userAgent"> & { actorType: "user"; actorId: string };

export const notPending = (status: string) => new AppError(409, "support_grant_not_pending", `The support request is already ${status}`, { status });
const lapsed = () =>
  new AppError(409, "support_grant_not_pending", `The support request has lapsed: it was made more than ${PENDING_HOURS} hours ago and can no longer be approved. Ask support to request access again.`, { status: "lapsed" });

/**
 * An owner approves a pending request for the hours asked, or fewer (one of the fixed
 * choices, lib/support/limits.ts). The grant ends at now() + hours by the database's
 * clock, the one every request's check reads. Audited as support.approved. A request
 * older than PENDING_HOURS has lapsed (its token was shown once, long ago): 409, unchanged.
 */
export async function approveSupportGrant(s: Services, workspaceId: string, id: string, hours: number | undefined, actor: Member): Promise<{ id: string; expiresAt: Date; hours: number }> {
  return withTenant(s.db, workspaceId, async (tx) => {
    const g = await lockGrant(tx, id);
    if (g.status !== "pending") throw notPending(g.status);
    if (g.lapsed) throw lapsed();
    const granted = hours ?? g.hours;
    const allowed = approvableHours(g.hours);
    if (!allowed.includes(granted)) {
      throw new AppError(422, "validation_failed", `Approve for one of ${allowed.join(", ")} hours (the request asked for ${g.hours})`, [{ field: "hours", message: `must be one of ${allowed.join(", ")}` }]);
    }
    const [row] = await tx
      .update(supportGrants)
      .set({ status: "approved", approvedBy: actor.actorId, approvedAt: sql`now()`, approvedHours: granted, expiresAt: sql`now() + make_interval(hours => ${granted})` })
      .where(eq(supportGrants.id, id))
      .returning({ expiresAt: supportGrants.expiresAt });
    const expiresAt = row!.expiresAt!;
    await recordAudit(tx, { ...actor, workspaceId, action: "support.approved", objectType: "support_grant", objectId: id, details: { operator: g.operator, hours: granted, expires_at: expiresAt.toISOString() } });
    return { id, expiresAt, hours: granted };
  });
}
