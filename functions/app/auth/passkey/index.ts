import type { Hono } from "hono";
import { registerPasskeyScript } from "../../assets/passkey-script.js";
import type { AppEnv } from "../../../env.js";
import { open, person } from "../../../middleware/permission.js";
import { requireSecondFactor } from "../../middleware/second-factor.js";
import { requireSession } from "../../middleware/session.js";
import { listPasskeysRoute, removePasskeyRoute, renamePasskeyRoute } from "../../passkeys/manage.js";
import { loginOptionsRoute, loginVerifyRoute } from "./login.js";
import { registerOptionsRoute, registerVerifyRoute, sessionUnlessInvitation } from "./register.js";

/**
 * Passkeys under /app (JSON; called by /app/assets/passkey.js):
 *   POST /app/auth/passkey/login/options      usernameless sign-in options
 *   POST /app/auth/passkey/login/verify       → session cookie
 *   POST /app/auth/passkey/register/options   {invitation} for an invitee, else signed in
 *   POST /app/auth/passkey/register/verify    invitee: accepted + signed in; signed in: one more passkey
 *   GET  /app/passkeys                        the person's passkeys (signed in)
 *   POST /app/passkeys/:id/rename             {name} (form or JSON)
 *   POST /app/passkeys/:id/delete             not the last sign-in method
 *   GET  /app/assets/passkey.js               the ceremonies' script
 */
export function registerPasskeyRoutes(app: Hono<AppEnv>) {
  app.post("/auth/passkey/login/options", open("before sign-in: a challenge, rate-limited per address"), loginOptionsRoute);
  app.post("/auth/passkey/login/verify", open("before sign-in: the passkey is the credential"), loginVerifyRoute);
  app.post("/auth/passkey/register/options", open("an invitation's token, or the person's own session (sessionUnlessInvitation)"), sessionUnlessInvitation, registerOptionsRoute);
  app.post("/auth/passkey/register/verify", open("an invitation's token, or the person's own session (sessionUnlessInvitation)"), sessionUnlessInvitation, registerVerifyRoute);
  // Registering stays open to a session still lacking a required second factor (a passkey
  // with user verification is one); managing the others needs the factor.
  app.get("/passkeys", requireSession, requireSecondFactor, person("the person's own passkeys"), listPasskeysRoute);
  app.post("/passkeys/:id/rename", requireSession, requireSecondFactor, person("the person's own passkeys"), renamePasskeyRoute);
  app.post("/passkeys/:id/delete", requireSession, requireSecondFactor, person("the person's own passkeys"), removePasskeyRoute);
  registerPasskeyScript(app);
}
