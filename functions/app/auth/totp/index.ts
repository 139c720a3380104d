import type { Hono } from "hono";
import type { AppEnv } from "../../../env.js";
import { needs, person } from "../../../middleware/permission.js";
import { requireSecondFactor } from "../../middleware/second-factor.js";
import { requireSession } from "../../middleware/session.js";
import { requireMfaRoute } from "../../workspace/require-mfa.js";
import { totpConfirmRoute } from "./confirm.js";
import { totpDisableRoute } from "./disable.js";
import { totpEnrolRoute } from "./enrol.js";
import { recoveryCodesRoute } from "./recovery-codes.js";
import { totpStatusRoute } from "./status.js";
import { totpVerifyRoute } from "./verify.js";

/**
 * Second-factor routes. Status, enrol, confirm and verify are the set-up ones: a session
 * that still lacks a required second factor reaches them (and nothing else but the
 * set-up page, passkey registration and sign-out). Changing the factors themselves and
 * the workspace's requirement needs a session that has one.
 */
export function registerFactorRoutes(app: Hono<AppEnv>) {
  const own = person("the person's own second factor");
  app.get("/auth/totp", requireSession, own, totpStatusRoute);
  app.post("/auth/totp/enrol", requireSession, own, totpEnrolRoute);
  app.post("/auth/totp/confirm", requireSession, own, totpConfirmRoute);
  app.post("/auth/totp/verify", requireSession, own, totpVerifyRoute);
  app.post("/auth/totp/recovery-codes", requireSession, requireSecondFactor, own, recoveryCodesRoute);
  app.post("/auth/totp/disable", requireSession, requireSecondFactor, own, totpDisableRoute);
  // The workspace's setting; lib/factors/require-mfa.ts also keeps it to the owner.
  app.post("/workspace/require-mfa", requireSession, requireSecondFactor, needs("settings:write"), requireMfaRoute);
}
