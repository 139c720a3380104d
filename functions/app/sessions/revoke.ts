import type { Context } from "hono";
import { UUID_PATTERN } from "../../../lib/ids.js";
import { notFound } from "../../../lib/errors.js";
import { revokeOtherSessions, revokeSession } from "../../../lib/sessions/revoke.js";
import type { AppEnv } from "../../env.js";
import { actionDone } from "../answer.js";
import { sessionOf } from "../middleware/session.js";

const SESSIONS_PAGE = "/app/sessions";
const where = (c: Context<AppEnv>, workspaceId: string | null) => ({ workspaceId, ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null });

/** POST /app/sessions/:id/revoke: one of the person's own sessions (the current one too: that is signing out). */
export async function revokeSessionRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  const id = c.req.param("id") ?? "";
  if (!UUID_PATTERN.test(id)) throw notFound("Session");
  const r = await revokeSession(c.env.services, s.userId, id, where(c, s.workspaceId));
  return actionDone(c, SESSIONS_PAGE, { id, revoked: true, already_revoked: r.alreadyRevoked });
}

/** POST /app/sessions/revoke-others: every session of the person but this one. */
export async function revokeOtherSessionsRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  const r = await revokeOtherSessions(c.env.services, s.userId, s.sessionId, where(c, s.workspaceId));
  return actionDone(c, SESSIONS_PAGE, { revoked: r.revoked });
}
