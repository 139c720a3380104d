import { and, eq, lt, sql } from "drizzle-orm";
import { withDeadline } from "../../db/deadline.js";
import { sessions } from "../../db/schema/index.js";
import { asApp, withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { AppError } from "../errors.js";
import type { Role } from "../people/roles.js";
import { hashToken, tokenPattern } from "../people/tokens.js";
import { IDLE_MS, SESSION_PREFIX, TOUCH_EVERY_MS, type SessionAuth } from "./auth.js";
import { csrfTokenFor } from "./csrf.js";

const SESSION_TOKEN = tokenPattern(SESSION_PREFIX);

export const sessionRequired = (message = "Sign in to continue") => new AppError(401, "session_required", message);
export const sessionExpired = () => new AppError(401, "session_expired", "The session has expired: sign in again");

type Row = {
  session_id: string;
  user_id: string;
  email: string;
  workspace_id: string | null;
  role: Role | null;
  method: "passkey" | "google";
  user_verified: boolean;
  second_factor_at: string | null;
  last_seen_at: string;
  expires_at: string;
  revoked: boolean;
  user_disabled: boolean;
};

/**
 * The session a cookie names, asked of the database on every request (one indexed
 * look-up; dashboard traffic is people clicking): nothing is cached in any process, so
 * a revoked or expired session is refused at once everywhere. Idle for 12 h or 7 d old:
 * expired. last_seen_at (and the address and browser shown on the sessions page) is
 * written at most once a minute.
 */
export async function lookupSession(s: Services, token: string | undefined, seen: { ip?: string | null; userAgent?: string | null } = {}): Promise<SessionAuth> {
  if (!token) throw sessionRequired();
  if (!SESSION_TOKEN.test(token)) throw sessionRequired("The session is not valid: sign in again");
  const hash = await hashToken(token);
  const [row] = await withDeadline(
    asApp(s.db, (tx) => tx.execute<Row>(sql`select * from sandesh_session_lookup(${hash})`)),
    "the session look-up",
  );
  if (!row || row.revoked || row.user_disabled) throw sessionRequired("The session is not valid: sign in again");
  const now = s.clock.now();
  const lastSeen = new Date(row.last_seen_at);
  if (now.getTime() >= new Date(row.expires_at).getTime() || now.getTime() - lastSeen.getTime() >= IDLE_MS) throw sessionExpired();

  if (now.getTime() - lastSeen.getTime() >= TOUCH_EVERY_MS) {
    await withUser(s.db, row.user_id, (tx) =>
      tx
        .update(sessions)
        .set({ lastSeenAt: now, ...(seen.ip ? { ip: seen.ip.slice(0, 64) } : {}), ...(seen.userAgent ? { userAgent: seen.userAgent.slice(0, 512) } : {}) })
        .where(and(eq(sessions.id, row.session_id), lt(sessions.lastSeenAt, now))),
    );
  }
  return {
    sessionId: row.session_id,
    userId: row.user_id,
    email: row.email,
    workspaceId: row.workspace_id,
    role: row.role,
    csrfToken: csrfTokenFor(token),
    method: row.method,
    userVerified: row.user_verified,
    secondFactorAt: row.second_factor_at ? new Date(row.second_factor_at) : null,
  };
}
