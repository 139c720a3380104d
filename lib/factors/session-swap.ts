import type { Services } from "../context.js";
import type { SessionAuth } from "../sessions/auth.js";
import { createSession, type CreatedSession } from "../sessions/create.js";
import { revokeOtherSessions, revokeSession } from "../sessions/revoke.js";

export interface Where {
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * Step-up: a second factor was just presented, so the browser gets a NEW session (a new
 * id and token, marked with the second factor) and the old one is revoked at once. A
 * token captured before the step-up never carries the factor.
 */
export async function stepUpSession(s: Services, old: SessionAuth, where: Where): Promise<CreatedSession> {
  return replaceSession(s, old, true, where);
}

/**
 * After TOTP is disabled: a new session without the second-factor mark for this browser,
 * and every other session of the person ends (each may carry a mark for a factor that
 * no longer exists).
 */
export async function dropSecondFactor(s: Services, old: SessionAuth, where: Where): Promise<CreatedSession> {
  const next = await replaceSession(s, old, false, where);
  await revokeOtherSessions(s, old.userId, next.session.sessionId, { workspaceId: old.workspaceId, ...where });
  return next;
}

async function replaceSession(s: Services, old: SessionAuth, secondFactor: boolean, where: Where): Promise<CreatedSession> {
  const next = await createSession(s, {
    userId: old.userId,
    method: old.method,
    userVerified: old.userVerified,
    ...(old.workspaceId ? { workspaceId: old.workspaceId } : {}),
    secondFactor,
    ip: where.ip ?? null,
    userAgent: where.userAgent ?? null,
  });
  await revokeSession(s, old.userId, old.sessionId, { reason: "step_up", workspaceId: old.workspaceId, ...where });
  return next;
}
