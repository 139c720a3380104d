import { Hono } from "hono";
import type { AppEnv } from "../env.js";
import { renderError } from "../middleware/errors.js";
import { isForm } from "./answer.js";
import { googleCallbackRoute } from "./auth/google-callback.js";
import { googleIdentitiesRoute, googleLinkRoute, googleUnlinkRoute } from "./auth/google-link.js";
import { googleStartRoute } from "./auth/google-start.js";
import { registerPasskeyRoutes } from "./auth/passkey/index.js";
import { getSessionRoute } from "./auth/session.js";
import { signOutRoute } from "./auth/sign-out.js";
import { acceptInvitationRoute } from "./invite/accept.js";
import { inviteMemberRoute, revokeInvitationRoute } from "./members/invite.js";
import { limitAttempts } from "./middleware/attempts.js";
import { browserGuard } from "./middleware/browser.js";
import { needs, open, person } from "../middleware/permission.js";
import { requireSecondFactor } from "./middleware/second-factor.js";
import { requireSession } from "./middleware/session.js";
import { registerFactorRoutes } from "./auth/totp/index.js";
import { renderPageError } from "./pages/errors.js";
import { dashboardPages } from "./pages/index.js";
import { revokeOtherSessionsRoute, revokeSessionRoute } from "./sessions/revoke.js";
import { switchWorkspaceRoute } from "./workspace/switch.js";

/**
 * The dashboard and its sign-in, mounted at /app. Every route passes browserGuard first
 * (CORS allow-list, Origin check on state-changing requests, the dashboard CSP with a
 * nonce, no-store). Routes for signed-in people put `requireSession` in their own chain
 * (it also checks the CSRF token of state-changing requests): a sub-app's `use("*")`
 * would reach routes mounted beside it.
 *
 * Before sign-in (no session; the Origin check and the per-address limits below guard them):
 *   /app/sign-in, /app/invite/:token, /app/auth/passkey/…, /app/auth/google/…
 * Signed in:
 *   GET  /app/auth/session                      who is signed in + the CSRF token for scripts
 *   POST /app/auth/sign-out                     revokes this session server-side
 *   POST /app/sessions/:id/revoke               revokes one of the person's sessions
 *   POST /app/sessions/revoke-others            revokes all the person's other sessions
 *   POST /app/workspace                         works in another of the person's workspaces
 *   POST /app/members/invitations               owners/admins: a one-time invitation link
 *   POST /app/members/invitations/:id/revoke    owners/admins: withdraw one
 *   POST /app/invite/:token/accept              a person with an account joins the invitation's workspace
 *   GET  /app/auth/totp, POST /app/auth/totp/{enrol,confirm,verify,recovery-codes,disable},
 *   POST /app/workspace/require-mfa             second factor (functions/app/auth/totp/index.ts)
 *
 * A session that lacks a second factor its person needs (require_mfa, or their own TOTP
 * after a Google sign-in) reaches only the set-up routes (TOTP status/enrol/confirm/verify,
 * passkeys, sign-out, the set-up page): every other signed-in route has requireSecondFactor
 * after requireSession (functions/app/middleware/second-factor.ts).
 *
 * A refusal answers as it was asked: a plain form post (the pages' forms, no script) gets
 * a page saying why, with a way back; fetch and JSON callers get the one JSON error shape.
 *
 * Google (OpenID Connect, lib/oidc):
 *   GET|POST /app/auth/google/start[?invitation=…]  to Google, a new attempt bound to this browser
 *   GET  /app/auth/google/callback                   back from Google: sign in, accept, or link
 *   POST /app/auth/google/link                       signed in: add a Google account
 *   GET  /app/auth/google/identities                 signed in: the linked Google accounts
 *   POST /app/auth/google/identities/:id/remove      signed in: unlink one (never the last method)
 */
export function dashboardApp() {
  const app = new Hono<AppEnv>();
  app.use("*", browserGuard);
  // Sign-in and invitation endpoints: per address here, per account in their handlers.
  app.use("/auth/passkey/*", limitAttempts("sign_in"));
  app.use("/auth/google/*", limitAttempts("sign_in"));
  app.use("/invite/*", limitAttempts("invitation"));

  app.get("/auth/google/start", open("before sign-in: starts Google's sign-in (rate-limited per address)"), googleStartRoute);
  app.post("/auth/google/start", open("before sign-in: starts Google's sign-in (rate-limited per address)"), googleStartRoute);
  app.get("/auth/google/callback", open("before sign-in: Google's answer, bound to the browser's attempt"), googleCallbackRoute);
  app.post("/auth/google/link", requireSession, requireSecondFactor, person("links a Google account to the person"), googleLinkRoute);
  app.get("/auth/google/identities", requireSession, requireSecondFactor, person("the person's own Google accounts"), googleIdentitiesRoute);
  app.post("/auth/google/identities/:id/remove", requireSession, requireSecondFactor, person("the person's own Google accounts"), googleUnlinkRoute);
  app.get("/auth/session", requireSession, person("who is signed in"), getSessionRoute);
  app.post("/auth/sign-out", requireSession, person("ends the person's own session"), signOutRoute);
  app.post("/sessions/revoke-others", requireSession, requireSecondFactor, person("the person's own sessions"), revokeOtherSessionsRoute);
  app.post("/sessions/:id/revoke", requireSession, requireSecondFactor, person("the person's own sessions"), revokeSessionRoute);
  app.post("/workspace", requireSession, requireSecondFactor, person("which of the person's workspaces (membership checked)"), switchWorkspaceRoute);
  app.post("/members/invitations", requireSession, requireSecondFactor, needs("members:write"), inviteMemberRoute);
  app.post("/members/invitations/:id/revoke", requireSession, requireSecondFactor, needs("members:write"), revokeInvitationRoute);
  registerPasskeyRoutes(app);
  app.post("/invite/:token/accept", requireSession, requireSecondFactor, person("joins with the person's own account; the invitation's token is the grant"), acceptInvitationRoute);
  registerFactorRoutes(app);
  // The pages (functions/app/pages/index.ts): /app/sign-in and /app/assets/dashboard.css
  // open, every other page behind requireSession in its own chain.
  app.route("/", dashboardPages());
  app.onError((err, c) => (isForm(c) ? renderPageError(err, c) : renderError(err, c)));
  return app;
}
