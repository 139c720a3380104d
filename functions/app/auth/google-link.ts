import type { Context } from "hono";
import { UUID_PATTERN } from "../../../lib/ids.js";
import { notFound } from "../../../lib/errors.js";
import { startAuthorization } from "../../../lib/oidc/authorize.js";
import { listIdentities, removeIdentity } from "../../../lib/oidc/identities.js";
import type { AppEnv } from "../../env.js";
import { actionDone } from "../answer.js";
import { sessionOf } from "../middleware/session.js";
import { flowBinding, flowSetCookie, requestFacts } from "./google-cookie.js";

/**
 * POST /app/auth/google/link (signed in, CSRF): adds a Google account as a way to sign
 * in. The attempt names this person and this session; the callback links the account
 * only if the browser still holds that session. A form post is sent on to Google (303);
 * fetch gets `{authorization_url}`.
 */
export async function googleLinkRoute(c: Context<AppEnv>) {
  const session = sessionOf(c);
  const binding = flowBinding(c);
  const started = await startAuthorization(c.env.services, { purpose: { kind: "link", userId: session.userId, sessionId: session.sessionId }, ...(binding ? { binding } : {}) });
  c.header("Set-Cookie", flowSetCookie(started.binding));
  return actionDone(c, started.url, { authorization_url: started.url });
}

/** GET /app/auth/google/identities (signed in): the person's linked Google accounts. */
export async function googleIdentitiesRoute(c: Context<AppEnv>) {
  const rows = await listIdentities(c.env.services, sessionOf(c).userId);
  return c.json({ data: rows.map((r) => ({ id: r.id, issuer: r.issuer, email: r.email, created_at: r.createdAt.toISOString(), last_used_at: r.lastUsedAt?.toISOString() ?? null })) });
}

/** POST /app/auth/google/identities/:id/remove (signed in, CSRF): unlinks one; never the last way to sign in (409 last_sign_in_method). */
export async function googleUnlinkRoute(c: Context<AppEnv>) {
  const id = c.req.param("id") ?? "";
  if (!UUID_PATTERN.test(id)) throw notFound("Google account");
  await removeIdentity(c.env.services, sessionOf(c).userId, id, requestFacts(c));
  return actionDone(c, "/app/security", { id, removed: true });
}
