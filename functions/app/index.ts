import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { getSessionRoute } from "./auth/session.js";
import { signOutRoute } from "./auth/sign-out.js";
import { browserGuard } from "./middleware/browser.js";
import { requireSession } from "./middleware/session.js";
import { revokeOtherSessionsRoute, revokeSessionRoute } from "./sessions/revoke.js";

/**
 * The dashboard and its sign-in, mounted at /app. Every route passes browserGuard first
 * (CORS allow-list, Origin check on state-changing requests, the dashboard CSP with a
 * nonce). Routes for signed-in people put `requireSession` in their own chain (it also
 * checks the CSRF token of state-changing requests): a sub-app's `use("*")` would reach
 * routes mounted beside it.
 *
 * Before sign-in (no session; the Origin check and rate limits guard them):
 *   /app/sign-in, /app/invite/:token, /app/auth/passkey/…, /app/auth/google/…
 * Signed in:
 *   GET  /app/auth/session            who is signed in + the CSRF token for scripts
 *   POST /app/auth/sign-out           revokes this session server-side
 *   POST /app/sessions/:id/revoke     revokes one of the person's sessions
 *   POST /app/sessions/revoke-others  revokes all the person's other sessions
 */
export function dashboardApp() {
  const app = new Hono<AppEnv>();
  app.use("*", browserGuard);

  app.get("/auth/session", requireSession, getSessionRoute);
  app.post("/auth/sign-out", requireSession, signOutRoute);
  app.post("/sessions/revoke-others", requireSession, revokeOtherSessionsRoute);
  app.post("/sessions/:id/revoke", requireSession, revokeSessionRoute);
  return app;
}
