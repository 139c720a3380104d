import type { Context, MiddlewareHandler } from "hono";
import * as v from "valibot";
import { addPasskey, addPasskeyOptions } from "../../../../lib/passkeys/add.js";
import { acceptInvitationWithPasskey, invitationPasskeyOptions } from "../../../../lib/passkeys/invitation.js";
import { PasskeyName } from "../../../../lib/passkeys/names.js";
import type { AppEnv } from "../../../env.js";
import { requireSession, sessionOf } from "../../middleware/session.js";
import { passkeyJson } from "../../passkeys/json.js";
import { factsOf, Invitation, jsonBody, orRefused } from "./request.js";

const RegisterOptions = v.object({ invitation: v.optional(Invitation) });
const RegisterVerify = v.object({ invitation: v.optional(Invitation), response: v.unknown(), name: v.optional(PasskeyName) });

/**
 * Registration serves two people: an invitee holding a link (no session yet; the link is
 * the credential) and a signed-in person adding a passkey (session and CSRF token
 * required). A body naming an invitation is the first; anything else must be signed in.
 */
export const sessionUnlessInvitation: MiddlewareHandler<AppEnv> = async (c, next) => {
  const body = await jsonBody(c, v.looseObject({ invitation: v.optional(Invitation) }));
  if (body.invitation !== undefined) return next();
  return requireSession(c, next);
};

/** POST /app/auth/passkey/register/options */
export async function registerOptionsRoute(c: Context<AppEnv>) {
  const s = c.env.services;
  const body = await jsonBody(c, RegisterOptions);
  if (body.invitation !== undefined) return c.json(await invitationPasskeyOptions(s, body.invitation));
  const who = sessionOf(c);
  return c.json(await addPasskeyOptions(s, { userId: who.userId, email: who.email }));
}

/** POST /app/auth/passkey/register/verify: the invitee is signed in with their new passkey; a signed-in person gets one more. */
export async function registerVerifyRoute(c: Context<AppEnv>) {
  const s = c.env.services;
  const body = await jsonBody(c, RegisterVerify);
  if (body.invitation !== undefined) {
    const r = await orRefused(acceptInvitationWithPasskey(s, body.invitation, body.response, body.name, factsOf(c)));
    c.header("Set-Cookie", r.session.setCookie);
    return c.json({ passkey: passkeyJson(r.passkey), signed_in: true, workspace_id: r.accepted.workspaceId, next: "/app" }, 201);
  }
  const who = sessionOf(c);
  const passkey = await orRefused(addPasskey(s, { userId: who.userId, email: who.email }, body.response, body.name, factsOf(c)));
  return c.json({ passkey: passkeyJson(passkey) }, 201);
}
