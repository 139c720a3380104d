import { and, eq } from "drizzle-orm";
import { memberships } from "../../db/schema/index.js";
import { withTenant } from "../../db/tenant.js";
import { recordAudit, type AuditEntry } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";
import type { Role } from "../people/roles.js";
import type { Principal } from "./principal.js";

/**
 * A signed-in member as a principal: the role the session read from the membership,
 * and for an agent or viewer whether the membership grants whole phone numbers (owners
 * and admins see them by role, so they cost no read).
 */
export async function memberPrincipal(s: Services, m: { workspaceId: string; userId: string; role: Role }): Promise<Principal> {
  let phonesUnmasked = false;
  if (m.role === "agent" || m.role === "viewer") {
    const [row] = await withTenant(s.db, m.workspaceId, (tx) =>
      tx.select({ unmasked: memberships.phonesUnmasked }).from(memberships).where(eq(memberships.userId, m.userId)),
    );
    phonesUnmasked = row?.unmasked ?? false;
  }
  return { kind: "member", workspaceId: m.workspaceId, userId: m.userId, role: m.role, phonesUnmasked };
}

type Actor = Pick<AuditEntry, "actorType" | "actorId" | "ip" | "userAgent">;

/** Grants (or withdraws) whole phone numbers to one member; audited in the same transaction. */
export async function setPhonesUnmasked(s: Services, workspaceId: string, userId: string, unmasked: boolean, actor: Actor): Promise<{ changed: boolean }> {
  return withTenant(s.db, workspaceId, async (tx) => {
    const [row] = await tx.select({ unmasked: memberships.phonesUnmasked }).from(memberships).where(eq(memberships.userId, userId)).for("update");
    if (!row) throw notFound("Member");
    if (row.unmasked === unmasked) return { changed: false };
    await tx.update(memberships).set({ phonesUnmasked: unmasked, updatedAt: s.clock.now() }).where(and(eq(memberships.workspaceId, workspaceId), eq(memberships.userId, userId)));
    await recordAudit(tx, { ...actor, workspaceId, action: "member.phones_unmasked", objectType: "user", objectId: userId, details: { before: row.unmasked, after: unmasked } });
    return { changed: true };
  });
}
