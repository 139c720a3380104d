import type { MiddlewareHandler } from "hono";
import { secondFactorNeed, secondFactorRequired } from "../../../lib/factors/require-mfa.js";
import type { AppEnv } from "../../env.js";
import { sessionOf } from "./session.js";

/** Where a session that lacks a second factor is sent: the dashboard's set-up page. */
export const SECOND_FACTOR_SETUP_PATH = "/app/security/setup";

/**
 * After requireSession, on every dashboard route but the set-up ones (the set-up page,
 * /app/auth/totp/enrol|confirm|verify, passkey registration, sign-out): a session whose
 * person must have a second factor and has not presented one this sign-in gets nowhere
 * else. Pages go to the set-up page (303, with `next`), anything else 403
 * second_factor_required (details.next: "verify" or "enrol"). Costs one transaction
 * only for a session without a second factor (a user-verifying passkey, or a step-up).
 */
export const requireSecondFactor: MiddlewareHandler<AppEnv> = async (c, next) => {
  const need = await secondFactorNeed(c.env.services, sessionOf(c));
  if (!need) return next();
  if ((c.req.header("accept") ?? "").includes("text/html")) {
    const back = c.req.method === "GET" ? `?next=${encodeURIComponent(c.req.path + (new URL(c.req.url).search || ""))}` : "";
    return c.redirect(`${SECOND_FACTOR_SETUP_PATH}${back}`, 303);
  }
  throw secondFactorRequired(need);
};
