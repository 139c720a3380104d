import { eq, sql } from "drizzle-orm";
import { supportGrants } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { notPending } from "./approve.js";
import { lockGrant } from "./grant-row.js";

type Member = Pick<AuditEntry, "ip" | "userAgent"> & { actorType: "user"; actorId: string };

/** An owner refuses a pending request: its token never reads anything. Audited as support.denied. */
export async function denySupportGrant(s: Services, workspaceId: string, id: string, actor: Member): Promise<void> {
  await withTenant(s.db, workspaceId, async (tx) => {
    const g = await lockGrant(tx, id);
    if (g.status !== "pending") throw notPending(g.status);
    await tx.update(supportGrants).set({ status: "denied", deniedBy: actor.actorId, deniedAt: sql`now()` }).where(eq(supportGrants.id, id));
    await recordAudit(tx, { ...actor, workspaceId, action: "support.denied", objectType: "support_grant", objectId: id, details: { operator: g.operator } });
  });
}
