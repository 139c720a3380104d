import { switchTenant, withUser } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { userWorkspaces } from "../people/memberships.js";
import type { SignInMethod } from "./auth.js";

export interface SignInFailure {
  method: SignInMethod;
  /** Short and fixed ("assertion_invalid", "email_not_verified", …): never a token, a challenge or an assertion. */
  reason: string;
  /** The person the attempt named, when known. */
  userId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
}

/**
 * A failed sign-in: in the audit log of every workspace of the person it named (one
 * transaction), and always in the structured log (an unknown account has no workspace).
 * The caller's HTTP answer must not differ by whether the account exists.
 */
export async function recordSignInFailure(s: Services, f: SignInFailure): Promise<void> {
  s.logger.warn("sign_in.failed", { method: f.method, reason: f.reason, user_id: f.userId ?? null, ip: f.ip ?? null });
  if (!f.userId) return;
  const userId = f.userId;
  const workspaces = await userWorkspaces(s, userId);
  if (!workspaces.length) return;
  await withUser(s.db, userId, async (tx) => {
    for (const w of workspaces) {
      await switchTenant(tx, w.workspaceId);
      await recordAudit(tx, { workspaceId: w.workspaceId, actorType: "user", actorId: userId, action: "sign_in.failed", objectType: "user", objectId: userId, ip: f.ip ?? null, userAgent: f.userAgent ?? null, details: { method: f.method, reason: f.reason } });
    }
  });
}
