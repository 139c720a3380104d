import type { Context } from "hono";
import { startAuthorization } from "../../../lib/oidc/authorize.js";
import { recordGoogleFailure } from "../../../lib/oidc/failure.js";
import type { FlowPurpose } from "../../../lib/oidc/flow.js";
import { OidcRefusal } from "../../../lib/oidc/refusal.js";
import { findInvitation } from "../../../lib/people/find-invitation.js";
import { admitAttempt } from "../../../lib/sessions/attempts.js";
import type { AppEnv } from "../../env.js";
import { flowBinding, flowSetCookie, GOOGLE_FAILED, requestFacts } from "./google-cookie.js";

/**
 * GET or POST /app/auth/google/start[?invitation=<token>]: sends the browser to Google
 * (303) with a new attempt bound to it. With an invitation's token, the attempt accepts
 * that invitation (Google is asked for the invited address first). A link and a button
 * both work without JavaScript.
 */
export async function googleStartRoute(c: Context<AppEnv>) {
  const s = c.env.services;
  const form = c.req.method === "POST" ? await c.req.parseBody().catch(() => ({}) as Record<string, unknown>) : {};
  const raw = c.req.query("invitation") ?? form.invitation;
  const invitation = typeof raw === "string" && raw ? raw : undefined;
  try {
    let purpose: FlowPurpose = { kind: "sign-in" };
    let loginHint: string | undefined;
    if (invitation) {
      // Per invitation as well as per address (functions/app/index.ts): a link guessed at from many addresses is still limited.
      await admitAttempt(s, "invitation", c.env.ip, invitation);
      const inv = await findInvitation(s, invitation).catch(() => null);
      if (!inv) throw Object.assign(new OidcRefusal("invitation_invalid"), { purpose: "invitation" as const });
      purpose = { kind: "invitation", token: invitation };
      loginHint = inv.email;
    }
    const binding = flowBinding(c);
    const started = await startAuthorization(s, { purpose, ...(loginHint ? { loginHint } : {}), ...(binding ? { binding } : {}) });
    c.header("Set-Cookie", flowSetCookie(started.binding));
    return c.redirect(started.url, 303);
  } catch (err) {
    if (!(err instanceof OidcRefusal)) throw err;
    await recordGoogleFailure(s, err, requestFacts(c));
    return c.redirect(err.reason === "not_configured" ? "/app/sign-in?error=google_unavailable" : GOOGLE_FAILED, 303);
  }
}
