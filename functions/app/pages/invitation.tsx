import type { Context } from "hono";
import { AppError } from "../../../lib/errors.js";
import { findInvitation } from "../../../lib/people/find-invitation.js";
import type { SessionAuth } from "../../../lib/sessions/auth.js";
import { readSessionCookie } from "../../../lib/sessions/cookie.js";
import { lookupSession } from "../../../lib/sessions/lookup.js";
import type { AppEnv } from "../../env.js";
import { PASSKEY_SCRIPT_PATH } from "../assets/passkey-script.js";
import { formatTime } from "./format.js";
import { Bare } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { CsrfField } from "./ui.js";

/** The browser's session if it has a live one; the invitation page works without. */
async function optionalSession(c: Context<AppEnv>): Promise<SessionAuth | null> {
  const token = readSessionCookie(c.req.header("cookie"));
  if (!token) return null;
  try {
    return await lookupSession(c.env.services, token);
  } catch (err) {
    if (err instanceof AppError && err.status === 401) return null;
    throw err;
  }
}

/**
 * GET /app/invite/:token: what the link offers (workspace, role, the invited address)
 * and the ways to accept it: a new person registers a passkey (the ceremony script, with
 * the token) or continues with Google (the same address, verified); a person already
 * signed in under that address joins with one form. An unknown, used, withdrawn or
 * expired link is one 410 page. The link is rate-limited per address (functions/app/index.ts).
 */
async function invitationPage(c: Context<AppEnv>) {
  const token = c.req.param("token") ?? "";
  const inv = await findInvitation(c.env.services, token);
  const session = await optionalSession(c);
  const here = `/app/invite/${encodeURIComponent(token)}`;
  return c.html(
    <Bare title="Invitation">
      <h1>Join {inv.workspaceName}</h1>
      <p>
        You are invited as <strong>{inv.role}</strong>. The invitation is for <strong>{inv.email}</strong> and works once, until {formatTime(inv.expiresAt)}.
      </p>
      {session ? (
        <form method="post" action={`${here}/accept`} class="card" aria-labelledby="join-signed-in">
          <h2 id="join-signed-in">You are signed in as {session.email}</h2>
          <CsrfField token={session.csrfToken} />
          <button type="submit">Join {inv.workspaceName}</button>
          {session.email !== inv.email ? <p class="error">The invitation is for {inv.email}: sign in with that account to accept it.</p> : null}
        </form>
      ) : (
        <>
          <section class="card" aria-labelledby="with-passkey">
            <h2 id="with-passkey">New here: create a passkey</h2>
            <p>Your device keeps the key and asks for your fingerprint, face or PIN. No password.</p>
            <div class="field">
              <label for="invite-passkey-name">Name for the passkey</label>
              <input id="invite-passkey-name" maxlength={64} placeholder="Work laptop" />
            </div>
            <button type="button" data-passkey="register" data-invitation={token} data-name-input="invite-passkey-name" data-status="passkey-status" data-next="/app">
              Create a passkey and join
            </button>
            <p id="passkey-status" role="status" aria-live="polite" class="muted"></p>
            <noscript>
              <p>Passkeys need JavaScript in this browser; you can accept with Google below.</p>
            </noscript>
          </section>
          <section class="card" aria-labelledby="with-google">
            <h2 id="with-google">Or with Google</h2>
            <p>
              <a href={`/app/auth/google/start?invitation=${encodeURIComponent(token)}`}>Accept with Google as {inv.email}</a>
            </p>
          </section>
          <p class="muted">
            Already have an account? <a href={`/app/sign-in?next=${encodeURIComponent(here)}`}>Sign in</a>, then open this link again.
          </p>
          <script type="module" src={PASSKEY_SCRIPT_PATH} nonce={c.get("cspNonce")}></script>
        </>
      )}
    </Bare>,
  );
}

export const registerInvitationPage = (app: PageRoutes) => app.get("/invite/:token", invitationPage);
