import type { Context } from "hono";
import { regenerateRecoveryCodes } from "../../../../lib/factors/regenerate.js";
import { factorProofFrom } from "../../../../lib/factors/verify.js";
import type { AppEnv } from "../../../env.js";
import { sessionOf } from "../../middleware/session.js";
import { actionFields } from "./body.js";
import { factorActor } from "./who.js";

/** Fields `code` or `recovery_code` when present; none: the session's own recent step-up must do. */
export const optionalProof = (body: Record<string, unknown>) => (body.code || body.recovery_code ? factorProofFrom(body) : null);

/**
 * POST /app/auth/totp/recovery-codes {code?} → {recovery_codes}: ten new codes, shown in
 * this answer only; every earlier one stops working. Needs a current code, or a step-up
 * in the last ten minutes (403 step_up_required otherwise).
 */
export async function recoveryCodesRoute(c: Context<AppEnv>) {
  const body = await actionFields(c);
  return c.json(await regenerateRecoveryCodes(c.env.services, factorActor(c), optionalProof(body), sessionOf(c).secondFactorAt));
}
