import type { Context } from "hono";
import { html } from "hono/html";
import type { CreatedInvitation } from "../../../lib/people/invite.js";
import type { AppEnv } from "../../env.js";

/**
 * The answer to the dashboard's invite form: the link, shown this once (it is not kept
 * anywhere to show again). Escaped by hono/html; no script, so no nonce needed.
 */
export function invitationCreatedPage(c: Context<AppEnv>, inv: CreatedInvitation): Response | Promise<Response> {
  return c.html(
    html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Invitation created · Sandesh</title></head>
<body><main>
<h1>Invitation created</h1>
<p>Send this link to <strong>${inv.email}</strong> (role: ${inv.role}). It works once and expires ${inv.expiresAt.toISOString()}. It is shown only now.</p>
<p><label for="link">Invitation link</label> <input id="link" readonly size="80" value="${inv.link}"></p>
<p><a href="/app/members">Back to members</a></p>
</main></body></html>`,
    201,
  );
}
