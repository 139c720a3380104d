import type { Hono } from "hono";
import { registerPasskeyScript } from "../../assets/passkey-script.js";
import type { AppEnv } from "../../../env.js";
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
  app.post("/auth/passkey/login/options", loginOptionsRoute);
  app.post("/auth/passkey/login/verify", loginVerifyRoute);
  app.post("/auth/passkey/register/options", sessionUnlessInvitation, registerOptionsRoute);
  app.post("/auth/passkey/register/verify", sessionUnlessInvitation, registerVerifyRoute);
  app.get("/passkeys", requireSession, listPasskeysRoute);
  app.post("/passkeys/:id/rename", requireSession, renamePasskeyRoute);
  app.post("/passkeys/:id/delete", requireSession, removePasskeyRoute);
  registerPasskeyScript(app);
}
