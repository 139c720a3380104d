import { eq } from "drizzle-orm";
import { sessions, users } from "../../db/schema/index.js";
import { switchTenant, withUser } from "../../db/tenant.js";
import { recordAudit } from "../audit/record.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import { userWorkspaces } from "../people/memberships.js";
import { hashToken, randomToken } from "../people/tokens.js";
import { ABSOLUTE_MS, SESSION_PREFIX, type SessionAuth, type SignInMethod } from "./auth.js";
import { sessionSetCookie } from "./cookie.js";
import { csrfTokenFor } from "./csrf.js";

export interface NewSession {
  userId: string;
  method: SignInMethod;
  /** The authenticator verified the person (a passkey with UV; Google counts as false). */
  userVerified: boolean;
  ip?: string | null;
  userAgent?: string | null;
  /** The workspace to start in; must be one of the person's. Default: their oldest membership. */
  workspaceId?: string;
  /** A second factor (TOTP, a recovery code) was presented now. */
  secondFactor?: boolean;
}

export interface CreatedSession {
  /** The cookie's secret: set it with `setCookie`, never log it, never send it again. */
  token: string;
  /** The whole Set-Cookie header value for the answer that completes the sign-in. */
  setCookie: string;
  session: SessionAuth;
}

/**
 * Every sign-in ends here (passkey, Google, an accepted invitation) and so does step-up:
 * always a NEW session id and token, never an old one carried over (no fixation). Only
 * the SHA-256 of the 32-byte token is stored. Records `session.created` in the audit log
 * of the workspace the session starts in (or the structured log when there is none), in
 * the same transaction. A caller replacing a session (step-up) revokes the old one with
 * revokeSession(…, { reason: "step_up" }).
 */
export async function createSession(s: Services, p: NewSession): Promise<CreatedSession> {
  const token = randomToken(SESSION_PREFIX);
  const id = crypto.randomUUID();
  const now = s.clock.now();
  const mine = await userWorkspaces(s, p.userId);
  const start = p.workspaceId === undefined ? mine[0] : mine.find((w) => w.workspaceId === p.workspaceId);
  if (p.workspaceId !== undefined && !start) throw new AppError(403, "forbidden", "Not a member of that workspace");
  const ip = p.ip?.slice(0, 64) ?? null;
  const userAgent = p.userAgent?.slice(0, 512) ?? null;
  const secondFactorAt = p.secondFactor ? now : null;

  const email = await withUser(s.db, p.userId, async (tx) => {
    const [user] = await tx.select({ email: users.email, disabledAt: users.disabledAt }).from(users).where(eq(users.id, p.userId));
    if (!user || user.disabledAt) throw new AppError(403, "forbidden", "This account cannot sign in");
    await tx.insert(sessions).values({
      id,
      userId: p.userId,
      tokenHash: await hashToken(token),
      method: p.method,
      userVerified: p.userVerified,
      secondFactorAt,
      activeWorkspaceId: start?.workspaceId ?? null,
      ip,
      userAgent,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + ABSOLUTE_MS),
    });
    const details = { method: p.method, user_verified: p.userVerified, second_factor: Boolean(p.secondFactor) };
    if (start) {
      await switchTenant(tx, start.workspaceId);
      await recordAudit(tx, { workspaceId: start.workspaceId, actorType: "user", actorId: p.userId, action: "session.created", objectType: "session", objectId: id, ip, userAgent, details });
    } else {
      s.logger.info("session.created", { user_id: p.userId, session_id: id, ip, ...details });
    }
    return user.email;
  });

  const session: SessionAuth = {
    sessionId: id,
    userId: p.userId,
    email,
    workspaceId: start?.workspaceId ?? null,
    role: start?.role ?? null,
    csrfToken: csrfTokenFor(token),
    method: p.method,
    userVerified: p.userVerified,
    secondFactorAt,
  };
  return { token, setCookie: sessionSetCookie(token, Math.floor(ABSOLUTE_MS / 1000)), session };
}
