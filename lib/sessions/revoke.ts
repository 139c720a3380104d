import { and, eq, isNull, ne } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { sessions } from "../../db/schema/index.js";
import { switchTenant, withUser } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { notFound } from "../errors.js";

type Reason = "sign_out" | "revoked" | "revoked_others" | "step_up";

export interface RevokeOptions {
  reason?: Reason;
  /** The audit log's workspace: the one the person works in (the acting session's). None: the structured log. */
  workspaceId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

const ACTIONS: Record<Reason, string> = {
  sign_out: "session.signed_out",
  revoked: "session.revoked",
  revoked_others: "session.revoked",
  step_up: "session.replaced",
};

async function record(s: Services, tx: Tx, userId: string, ids: string[], o: RevokeOptions, reason: Reason): Promise<void> {
  if (!ids.length) return;
  const details = { reason, session_ids: ids };
  if (o.workspaceId) {
    await switchTenant(tx, o.workspaceId);
    await recordAudit(tx, { workspaceId: o.workspaceId, actorType: "user", actorId: userId, action: ACTIONS[reason], objectType: "session", objectId: ids.length === 1 ? ids[0]! : undefined, ip: o.ip ?? null, userAgent: o.userAgent ?? null, details });
  } else {
    s.logger.info(ACTIONS[reason], { user_id: userId, ip: o.ip ?? null, ...details });
  }
}

/**
 * Ends one of the person's sessions. The session look-up reads the database on every
 * request, so the very next request with that cookie is refused in every process. 404
 * for a session that is not the person's; revoking a revoked one again changes nothing.
 */
export async function revokeSession(s: Services, userId: string, sessionId: string, o: RevokeOptions = {}): Promise<{ alreadyRevoked: boolean }> {
  const reason = o.reason ?? "revoked";
  return withUser(s.db, userId, async (tx) => {
    const [row] = await tx.select({ revokedAt: sessions.revokedAt }).from(sessions).where(eq(sessions.id, sessionId)).for("update");
    if (!row) throw notFound("Session");
    if (row.revokedAt) return { alreadyRevoked: true };
    await tx.update(sessions).set({ revokedAt: s.clock.now(), revokedReason: reason }).where(eq(sessions.id, sessionId));
    await record(s, tx, userId, [sessionId], o, reason);
    return { alreadyRevoked: false };
  });
}

/** Ends every session of the person but `keepSessionId` (the one asking). */
export async function revokeOtherSessions(s: Services, userId: string, keepSessionId: string, o: RevokeOptions = {}): Promise<{ revoked: number }> {
  return withUser(s.db, userId, async (tx) => {
    const rows = await tx
      .update(sessions)
      .set({ revokedAt: s.clock.now(), revokedReason: "revoked_others" })
      .where(and(ne(sessions.id, keepSessionId), isNull(sessions.revokedAt)))
      .returning({ id: sessions.id });
    await record(s, tx, userId, rows.map((r) => r.id), o, "revoked_others");
    return { revoked: rows.length };
  });
}
