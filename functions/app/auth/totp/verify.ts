import type { Context } from "hono";
import { stepUpSession } from "../../../../lib/factors/session-swap.js";
import { factorProofFrom, verifySecondFactor } from "../../../../lib/factors/verify.js";
import type { AppEnv } from "../../../env.js";
import { actionDone } from "../../answer.js";
import { sessionOf } from "../../middleware/session.js";
import { actionFields, dashboardPath } from "./body.js";
import { factorActor, whereOf } from "./who.js";

/**
 * POST /app/auth/totp/verify {code | recovery_code, next?}: step-up. After a sign-in
 * without user verification (Google) this is the pending session's way in: the code
 * checks out, the browser gets a NEW session marked with the second factor, the old one
 * is revoked. A form post goes on to `next` (inside /app) with 303.
 */
export async function totpVerifyRoute(c: Context<AppEnv>) {
  const body = await actionFields(c);
  const s = c.env.services;
  const verified = await verifySecondFactor(s, factorActor(c), factorProofFrom(body));
  const next = await stepUpSession(s, sessionOf(c), whereOf(c));
  c.header("Set-Cookie", next.setCookie);
  return actionDone(c, dashboardPath(body.next), { verified: true, ...verified, csrf_token: next.session.csrfToken });
}
