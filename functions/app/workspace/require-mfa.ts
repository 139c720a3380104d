import type { Context } from "hono";
import { setRequireMfa } from "../../../lib/factors/require-mfa.js";
import { validationFailed } from "../../../lib/errors.js";
import type { AppEnv } from "../../env.js";
import { actionDone } from "../answer.js";
import { actionFields } from "../auth/totp/body.js";
import { sessionOf } from "../middleware/session.js";

const ON = new Set([true, "true", "on", "1"]);
const OFF = new Set([false, "false", "off", "0"]);

/**
 * POST /app/workspace/require-mfa {enabled}: the owner requires a second factor (TOTP or a
 * user-verifying passkey) of every member, or stops requiring it. A checkbox form sends
 * `enabled=on`, or nothing when unticked, so a form post without the field means off.
 */
export async function requireMfaRoute(c: Context<AppEnv>) {
  const body = await actionFields(c);
  const form = !(c.req.header("content-type") ?? "").includes("json");
  const raw = body.enabled ?? (form ? false : undefined);
  if (!ON.has(raw as never) && !OFF.has(raw as never)) throw validationFailed([{ field: "enabled", message: "must be true or false" }]);
  const session = sessionOf(c);
  const r = await setRequireMfa(c.env.services, { ...session, ip: c.env.ip ?? null, userAgent: c.req.header("user-agent") ?? null }, ON.has(raw as never));
  return actionDone(c, "/app/security", r);
}
