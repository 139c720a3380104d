import type { Context } from "hono";
import { confirmTotp } from "../../../../lib/factors/enrol.js";
import { stepUpSession } from "../../../../lib/factors/session-swap.js";
import { validationFailed } from "../../../../lib/errors.js";
import type { AppEnv } from "../../../env.js";
import { sessionOf } from "../../middleware/session.js";
import { actionFields } from "./body.js";
import { factorActor, whereOf } from "./who.js";

/**
 * POST /app/auth/totp/confirm {code} → {recovery_codes}: the first code switches TOTP on
 * and, being a second factor presented now, steps this browser up to a new session
 * (Set-Cookie). The ten recovery codes are in this answer only.
 */
export async function totpConfirmRoute(c: Context<AppEnv>) {
  const body = await actionFields(c);
  const code = typeof body.code === "string" ? body.code.replace(/\s/g, "") : "";
  if (!code) throw validationFailed([{ field: "code", message: "is required" }], "The 6-digit code from the app is required");
  const s = c.env.services;
  const { recovery_codes } = await confirmTotp(s, factorActor(c), code);
  const next = await stepUpSession(s, sessionOf(c), whereOf(c));
  c.header("Set-Cookie", next.setCookie);
  return c.json({ totp: "enabled", recovery_codes, csrf_token: next.session.csrfToken });
}
