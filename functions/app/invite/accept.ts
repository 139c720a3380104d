import type { Context } from "hono";
import { acceptInvitation } from "../../../lib/people/accept.js";
import { switchWorkspace } from "../../../lib/sessions/switch.js";
import type { AppEnv } from "../../env.js";
import { actionDone } from "../answer.js";
import { sessionOf } from "../middleware/session.js";

/**
 * POST /app/invite/:token/accept, signed in: a person who already has an account joins
 * the invitation's workspace (their email must be the invitation's) and works in it
 * from the next request. New people accept while registering a passkey or signing in
 * with Google instead (/app/auth/…).
 */
export async function acceptInvitationRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  const a = await acceptInvitation(c.env.services, c.req.param("token") ?? "", { userId: s.userId, ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null });
  await switchWorkspace(c.env.services, s.userId, s.sessionId, a.workspaceId);
  return actionDone(c, "/app", { workspace_id: a.workspaceId, role: a.role });
}
