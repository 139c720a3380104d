import type { Context } from "hono";
import * as v from "valibot";
import { authenticationOptions } from "../../../../lib/passkeys/authentication-options.js";
import { signInWithPasskey } from "../../../../lib/passkeys/sign-in.js";
import type { AppEnv } from "../../../env.js";
import { factsOf, jsonBody, nextPath, orRefused } from "./request.js";

/** POST /app/auth/passkey/login/options: a usernameless sign-in's options (no email asked, none revealed). */
export async function loginOptionsRoute(c: Context<AppEnv>) {
  return c.json(await authenticationOptions(c.env.services));
}

const LoginVerify = v.object({ response: v.unknown(), next: v.optional(v.string()) });

/** POST /app/auth/passkey/login/verify: the assertion → a new session cookie. */
export async function loginVerifyRoute(c: Context<AppEnv>) {
  const body = await jsonBody(c, LoginVerify);
  const created = await orRefused(signInWithPasskey(c.env.services, body.response, factsOf(c)));
  c.header("Set-Cookie", created.setCookie);
  return c.json({ signed_in: true, next: nextPath(body.next), workspace_id: created.session.workspaceId });
}
