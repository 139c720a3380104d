import type { Context } from "hono";
import { listPasskeys, removePasskey, renamePasskey } from "../../../lib/passkeys/manage.js";
import type { AppEnv } from "../../env.js";
import { actionDone } from "../answer.js";
import { sessionOf } from "../middleware/session.js";
import { factsOf } from "../auth/passkey/request.js";
import { passkeyJson } from "./json.js";

const SECURITY_PAGE = "/app/security";

/** GET /app/passkeys: the signed-in person's passkeys with their last use. */
export async function listPasskeysRoute(c: Context<AppEnv>) {
  const list = await listPasskeys(c.env.services, sessionOf(c).userId);
  return c.json({ passkeys: list.map(passkeyJson) });
}

/** The new name: form field `name` (the security page's form) or JSON {"name"}. */
async function nameOf(c: Context<AppEnv>): Promise<unknown> {
  const type = c.req.header("content-type") ?? "";
  if (type.startsWith("application/json")) return ((await c.req.json().catch(() => ({}))) as { name?: unknown }).name;
  return (await c.req.parseBody().catch(() => ({}) as Record<string, unknown>)).name;
}

/** POST /app/passkeys/:id/rename */
export async function renamePasskeyRoute(c: Context<AppEnv>) {
  const k = await renamePasskey(c.env.services, sessionOf(c).userId, c.req.param("id") ?? "", await nameOf(c), factsOf(c));
  return actionDone(c, SECURITY_PAGE, { passkey: passkeyJson(k) });
}

/** POST /app/passkeys/:id/delete: refused (409 last_sign_in_method) for the person's only way in. */
export async function removePasskeyRoute(c: Context<AppEnv>) {
  const id = c.req.param("id") ?? "";
  await removePasskey(c.env.services, sessionOf(c).userId, id, factsOf(c));
  return actionDone(c, SECURITY_PAGE, { id, removed: true });
}
