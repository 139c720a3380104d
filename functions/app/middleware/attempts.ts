import type { MiddlewareHandler } from "hono";
import { admitAttempt, type AttemptScope } from "../../../lib/sessions/attempts.js";
import type { AppEnv } from "../../env.js";

/**
 * Per-address limit on every request of a sign-in or invitation endpoint, before it
 * does any work (lib/sessions/attempts.ts). Handlers add the per-account limit once they
 * know the account (admitAttempt with it, recordFailedAttempt on a failure).
 */
export const limitAttempts = (scope: AttemptScope): MiddlewareHandler<AppEnv> => async (c, next) => {
  await admitAttempt(c.env.services, scope, c.env.ip);
  await next();
};
