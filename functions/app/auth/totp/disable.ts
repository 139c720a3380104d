import type { Context } from "hono";
import { disableTotp } from "../../../../lib/factors/disable.js";
import { dropSecondFactor } from "../../../../lib/factors/session-swap.js";
import type { AppEnv } from "../../../env.js";
import { actionDone } from "../../answer.js";
import { sessionOf } from "../../middleware/session.js";
import { actionFields } from "./body.js";
import { optionalProof } from "./recovery-codes.js";
import { factorActor, whereOf } from "./who.js";

/**
 * POST /app/auth/totp/disable {code?}: removes the authenticator app and the recovery
 * codes. Needs a current code (or recovery code), or a step-up in the last ten minutes.
 * This browser continues in a new session without the second-factor mark; the person's
 * other sessions end.
 */
export async function totpDisableRoute(c: Context<AppEnv>) {
  const body = await actionFields(c);
  const s = c.env.services;
  const session = sessionOf(c);
  await disableTotp(s, factorActor(c), optionalProof(body), session.secondFactorAt);
  const next = await dropSecondFactor(s, session, whereOf(c));
  c.header("Set-Cookie", next.setCookie);
  return actionDone(c, "/app/security", { totp: "none", csrf_token: next.session.csrfToken });
}
