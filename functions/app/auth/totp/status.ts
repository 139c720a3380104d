import type { Context } from "hono";
import { hasSecondFactor } from "../../../../lib/factors/require-mfa.js";
import { factorStatus } from "../../../../lib/factors/status.js";
import type { AppEnv } from "../../../env.js";
import { sessionOf } from "../../middleware/session.js";

/** GET /app/auth/totp: whether TOTP is set up, how many recovery codes are left, and whether this session has a second factor. Never a secret. */
export async function totpStatusRoute(c: Context<AppEnv>) {
  const s = sessionOf(c);
  return c.json({ ...(await factorStatus(c.env.services, s.userId)), session_has_second_factor: hasSecondFactor(s) });
}
