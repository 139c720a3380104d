import { eq } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { apiKeys, memberships } from "../../db/schema/index.js";
import type { AuditEntry } from "../audit/record.js";
import { isRole } from "../people/roles.js";
import { seesWholeNumbers } from "./principal.js";
import { isPermission } from "./vocabulary.js";

/**
 * Whether whoever does this (an API key, a member, the operator) sees whole phone
 * numbers, read inside the tenant's transaction from the key's scopes or the membership.
 * Used where what they set up outlives the request: a webhook endpoint delivers what
 * its creator could see (lib/webhooks/endpoints.ts). Unknown keys and members see masked.
 */
export async function actorSeesWholeNumbers(tx: Tx, workspaceId: string, actor: Pick<AuditEntry, "actorType" | "actorId">): Promise<boolean> {
  if (actor.actorType === "operator" || actor.actorType === "system") return true;
  if (!actor.actorId) return false;
  if (actor.actorType === "api_key") {
    const [k] = await tx.select({ scopes: apiKeys.scopes }).from(apiKeys).where(eq(apiKeys.id, actor.actorId));
    if (!k) return false;
    return seesWholeNumbers({ kind: "api_key", workspaceId, keyId: actor.actorId, scopes: k.scopes ? k.scopes.filter(isPermission) : null });
  }
  const [m] = await tx.select({ role: memberships.role, unmasked: memberships.phonesUnmasked }).from(memberships).where(eq(memberships.userId, actor.actorId));
  if (!m || !isRole(m.role)) return false;
  return seesWholeNumbers({ kind: "member", workspaceId, userId: actor.actorId, role: m.role, phonesUnmasked: m.unmasked });
}
