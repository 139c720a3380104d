import { Hono } from "hono";
import type { AppEnv } from "../../env.js";
import { registerAssets } from "./assets.js";
import { registerAccessLogPage } from "./access-log.js";
import { registerAuditPages } from "./audit.js";
import { registerBroadcastPages } from "./broadcasts.js";
import { registerContactPages } from "./contacts.js";
import { registerExportPages } from "./exports.js";
import { renderPageError } from "./errors.js";
import { registerInvitationPage } from "./invitation.js";
import { registerKeyPages } from "./keys.js";
import { registerMemberPages } from "./members.js";
import { registerMessagePages } from "./messages.js";
import { registerNumberPages } from "./numbers.js";
import { registerOverviewPage } from "./overview.js";
import { memberRoutes, publicRoutes, setupRoutes } from "./routes.js";
import { registerSecondFactorPages, registerSecondFactorSetup } from "./second-factor.js";
import { registerSecurityPages } from "./security.js";
import { registerSessionsPage } from "./sessions.js";
import { registerSignInPage } from "./sign-in.js";
import { registerSupportPages } from "./support.js";
import { registerTemplatePages } from "./templates.js";
import { registerWebhookPages } from "./webhooks.js";

/**
 * The dashboard's pages, mounted at /app (after browserGuard). The sign-in page, an
 * invitation's page and the stylesheet need no session; every other page has
 * requireSession in its own chain (the session, and the CSRF token of each POST).
 * Errors here are pages, not JSON. The
 * forms of the people routes (sign-out, sessions, workspace, invitations) post to the
 * routes in functions/app/index.ts.
 */
export function dashboardPages() {
  const app = new Hono<AppEnv>();
  const open = publicRoutes(app);
  registerAssets(open);
  registerSignInPage(open);
  registerInvitationPage(open);

  // A session whose person still owes a second factor reaches these, and sign-out, only.
  registerSecondFactorSetup(setupRoutes(app));

  const member = memberRoutes(app);
  registerOverviewPage(member);
  registerMessagePages(member);
  registerContactPages(member);
  registerExportPages(member);
  registerTemplatePages(member);
  registerBroadcastPages(member);
  registerNumberPages(member);
  registerWebhookPages(member);
  registerKeyPages(member);
  registerMemberPages(member);
  registerSessionsPage(member);
  registerSecurityPages(member);
  registerSecondFactorPages(member);
  registerAuditPages(member);
  registerAccessLogPage(member);
  registerSupportPages(member);
  app.onError(renderPageError);
  return app;
}
