import type { Context } from "hono";
import { clearSessionCookie } from "../../../lib/sessions/cookie.js";
import { revokeSession } from "../../../lib/sessions/revoke.js";
import type { AppEnv } from "../../env.js";
import { actionDone } from "../answer.js";
import { SIGN_IN_PATH, sessionOf } from "../middleware/session.js";

/** POST /app/auth/sign-out: the session is revoked server-side, not only forgotten by the browser. */
export async function signOutRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  await revokeSession(c.env.services, s.userId, s.sessionId, { reason: "sign_out", workspaceId: s.workspaceId, ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null });
  c.header("Set-Cookie", clearSessionCookie());
  return actionDone(c, SIGN_IN_PATH, { signed_out: true });
}
