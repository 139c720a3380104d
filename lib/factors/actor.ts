import type { Tx } from "../../db/client.js";
import { switchTenant } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";

/**
 * The person changing or using a factor, and where from. `workspaceId` is the workspace
 * the session works in: factor events are audited there, and, with no workspace, go to
 * the structured log instead (never with a code, a secret or a URI).
 */
export interface FactorActor {
  userId: string;
  email: string;
  workspaceId: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/** Inside the person's withUser transaction: the audit row lands with the change or not at all. */
export async function auditFactor(s: Services, tx: Tx, who: FactorActor, action: string, details: Record<string, unknown> = {}): Promise<void> {
  if (!who.workspaceId) {
    s.logger.info(action, { user_id: who.userId, ip: who.ip ?? null, ...details });
    return;
  }
  await switchTenant(tx, who.workspaceId);
  await recordAudit(tx, {
    workspaceId: who.workspaceId,
    actorType: "user",
    actorId: who.userId,
    action,
    objectType: "user",
    objectId: who.userId,
    ip: who.ip ?? null,
    userAgent: who.userAgent ?? null,
    details,
  });
}
