import type { Context } from "hono";
import { completeAuthorization } from "../../../lib/oidc/complete.js";
import { recordGoogleFailure } from "../../../lib/oidc/failure.js";
import { OidcRefusal } from "../../../lib/oidc/refusal.js";
import { completeGoogle } from "../../../lib/oidc/sign-in.js";
import { readSessionCookie } from "../../../lib/sessions/cookie.js";
import { lookupSession } from "../../../lib/sessions/lookup.js";
import type { AppEnv } from "../../env.js";
import { flowBinding, GOOGLE_FAILED, GOOGLE_LINK_FAILED, requestFacts } from "./google-cookie.js";

/**
 * GET /app/auth/google/callback?state&code (or &error): where Google sends the browser
 * back. The attempt is taken (single use, this browser's), the code exchanged, the ID
 * token verified; then the person is signed in (a new session), an invitation accepted,
 * or the account linked to the signed-in person. Any refusal: 303 to sign-in with one
 * generic message, the reason in the log (and audit where a person is known).
 */
export async function googleCallbackRoute(c: Context<AppEnv>) {
  const s = c.env.services;
  const facts = requestFacts(c);
  const q = c.req.query();
  try {
    const { identity, purpose } = await completeAuthorization(s, { state: q.state, code: q.code, error: q.error, iss: q.iss, binding: flowBinding(c) });
    const current = purpose.kind === "link" ? await currentSessionId(c) : null;
    const outcome = await completeGoogle(s, identity, purpose, facts, current);
    if (outcome.kind === "linked") return c.redirect("/app/security?google=linked", 303);
    c.header("Set-Cookie", outcome.created.setCookie);
    return c.redirect("/app", 303);
  } catch (err) {
    if (!(err instanceof OidcRefusal)) throw err;
    await recordGoogleFailure(s, err, facts);
    return c.redirect(err.purpose === "link" ? GOOGLE_LINK_FAILED : GOOGLE_FAILED, 303);
  }
}

async function currentSessionId(c: Context<AppEnv>): Promise<string | null> {
  const token = readSessionCookie(c.req.header("cookie"));
  if (!token) return null;
  const session = await lookupSession(c.env.services, token, requestFacts(c)).catch(() => null);
  return session?.sessionId ?? null;
}
