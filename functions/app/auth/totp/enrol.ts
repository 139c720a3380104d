import type { Context } from "hono";
import { startTotpEnrolment } from "../../../../lib/factors/enrol.js";
import type { AppEnv } from "../../../env.js";
import { factorActor } from "./who.js";

/**
 * POST /app/auth/totp/enrol → 201 {otpauth_uri, secret, expires_at}: the only answer
 * that ever holds the secret (no-store, as every /app answer). Confirm within 15 minutes.
 */
export async function totpEnrolRoute(c: Context<AppEnv>) {
  return c.json(await startTotpEnrolment(c.env.services, factorActor(c)), 201);
}
