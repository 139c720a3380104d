import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../env.js";

/**
 * Post-redirect-get: a form that succeeded answers 303 to a page, and that page says
 * what happened once. What travels in the cookie is a code from this table, never text
 * from the request, so nothing a visitor typed comes back through it.
 */
export const FLASH = {
  key_revoked: "The API key is revoked; every request with it is refused from now on.",
  key_already_revoked: "That API key was already revoked.",
  number_connected: "The number is connected. Its token is in the vault and is not shown again.",
  number_token_replaced: "The number's token is replaced. The new token is in the vault and is not shown again.",
  webhook_updated: "The webhook endpoint is updated.",
  webhook_deleted: "The webhook endpoint is deleted.",
  templates_synced: "The templates are synced from Meta.",
  totp_disabled: "The authenticator app is switched off; your other sessions are signed out.",
  broadcast_paused: "The broadcast is paused.",
  broadcast_resumed: "The broadcast is running again.",
  export_requested: "The export is approved and being made; download it here once it is ready.",
  export_pending: "The export has more rows than the workspace's threshold: it waits for an owner's approval.",
  export_approved: "The export is approved; it is being made for whoever asked for it.",
  export_denied: "The export is denied; it will not be made.",
  export_threshold_set: "The approval threshold is saved.",
  broadcast_canceled: "The broadcast is canceled; messages not yet sent will not be sent.",
  support_approved: "Support access is approved; it ends by itself at the time shown.",
  support_denied: "The support request is denied; its token reads nothing.",
  support_revoked: "Support access is revoked; the operator's next request is refused.",
  support_already_revoked: "That support grant was already revoked.",
} as const;
export type FlashCode = keyof typeof FLASH;

const COOKIE = "sandesh_flash";
const isCode = (v: string | undefined): v is FlashCode => v !== undefined && Object.hasOwn(FLASH, v);

/** 303 to `location` (a path of ours), carrying one flash code for the page it lands on. */
export function redirectWithFlash(c: Context<AppEnv>, location: string, code: FlashCode): Response {
  setCookie(c, COOKIE, code, { prefix: "host", path: "/", httpOnly: true, secure: true, sameSite: "Lax", maxAge: 60 });
  return c.redirect(location, 303);
}

/** The flash message for this page, if one is waiting; it is shown once. */
export function takeFlash(c: Context<AppEnv>): string | null {
  const code = getCookie(c, COOKIE, "host");
  if (code === undefined) return null;
  deleteCookie(c, COOKIE, { prefix: "host", path: "/", secure: true });
  return isCode(code) ? FLASH[code] : null;
}
