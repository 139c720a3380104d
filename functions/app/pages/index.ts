import { Hono } from "hono";
import type { AppEnv } from "../../env.js";
import { registerAssets } from "./assets.js";
import { registerBroadcastPages } from "./broadcasts.js";
import { registerContactPages } from "./contacts.js";
import { renderPageError } from "./errors.js";
import { registerKeyPages } from "./keys.js";
import { registerMessagePages } from "./messages.js";
import { registerNumberPages } from "./numbers.js";
import { registerOverviewPage } from "./overview.js";
import { registerSignInPage } from "./sign-in.js";
import { registerTemplatePages } from "./templates.js";
import { registerWebhookPages } from "./webhooks.js";

/** The pages anyone may open, mounted at /app: sign-in and the stylesheet. */
export function publicPages() {
  const app = new Hono<AppEnv>();
  registerAssets(app);
  registerSignInPage(app);
  app.onError(renderPageError);
  return app;
}

/**
 * The signed-in dashboard, mounted at /app behind the session middleware (which sets
 * `session`, refuses a missing or revoked one, and checks CSRF and Origin on every POST).
 * Errors are pages here, not JSON.
 */
export function memberPages() {
  const app = new Hono<AppEnv>();
  registerOverviewPage(app);
  registerMessagePages(app);
  registerContactPages(app);
  registerTemplatePages(app);
  registerBroadcastPages(app);
  registerNumberPages(app);
  registerWebhookPages(app);
  registerKeyPages(app);
  app.onError(renderPageError);
  return app;
}
