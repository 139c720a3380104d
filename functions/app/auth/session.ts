import type { Context } from "hono";
import { userWorkspaces } from "../../../lib/people/memberships.js";
import type { AppEnv } from "../../env.js";
import { sessionOf } from "../middleware/session.js";

/**
 * GET /app/auth/session: who is signed in, where, and the CSRF token scripts send as
 * X-CSRF-Token. Readable only with the cookie, and by other origins only those CORS allows.
 */
export async function getSessionRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  const workspaces = await userWorkspaces(c.env.services, s.userId);
  return c.json({
    user: { id: s.userId, email: s.email },
    session: { id: s.sessionId, method: s.method, user_verified: s.userVerified, second_factor_at: s.secondFactorAt?.toISOString() ?? null },
    workspace: s.workspaceId ? { id: s.workspaceId, role: s.role } : null,
    workspaces: workspaces.map((w) => ({ id: w.workspaceId, name: w.workspaceName, role: w.role })),
    csrf_token: s.csrfToken,
  });
}
