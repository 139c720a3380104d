import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { listPasskeys } from "../../../lib/passkeys/manage.js";
import type { PasskeySummary } from "../../../lib/passkeys/store.js";
import type { AppEnv } from "../../env.js";
import { pageFacts, type PageFacts } from "./facts.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { PASSKEY_SCRIPT } from "./sign-in.js";
import { CsrfField, PostButton, Table } from "./ui.js";

/**
 * The person's passkeys: listed with last use and backup state, renamed and removed by
 * forms posting to the passkey routes (POST /app/passkeys/:id/rename, …/delete, which
 * answer a form with 303 back here); a new one is added by the ceremony script (WebAuthn
 * needs JavaScript), with its name from the labelled field.
 */
export function PasskeysSection({ facts, passkeys, nonce }: { facts: PageFacts; passkeys: PasskeySummary[]; nonce: string | undefined }) {
  const csrf = facts.session.csrfToken;
  return (
    <section aria-labelledby="passkeys">
      <h2 id="passkeys">Passkeys</h2>
      <Table caption="Your passkeys" head={["Name", "Added", "Last used", "Synced", "Rename", ""]} empty="No passkey yet: you sign in with Google." rows={passkeys.length}>
        {passkeys.map((k) => (
          <tr>
            <td>{k.name}</td>
            <td>{formatTime(k.createdAt)}</td>
            <td>{formatTime(k.lastUsedAt)}</td>
            <td>{k.backedUp ? "synced to your account" : k.backupEligible ? "can sync, not yet" : "this device only"}</td>
            <td>
              <form method="post" action={`/app/passkeys/${k.id}/rename`} class="inline">
                <CsrfField token={csrf} />
                <label for={`rename-${k.id}`} class="visually-hidden">
                  New name for {k.name}
                </label>
                <input id={`rename-${k.id}`} name="name" value={k.name} maxlength={64} required />
                <button type="submit">Rename</button>
              </form>
            </td>
            <td>
              <PostButton action={`/app/passkeys/${k.id}/delete`} csrf={csrf} label="Remove" danger accessibleLabel={`Remove passkey ${k.name}`} />
            </td>
          </tr>
        ))}
      </Table>
      <p class="muted">Your last way to sign in cannot be removed: add another passkey (or link Google) first.</p>
      <div class="card">
        <div class="field">
          <label for="passkey-name">Name for a new passkey</label>
          <input id="passkey-name" maxlength={64} placeholder="Work laptop" />
        </div>
        <button type="button" data-passkey="register" data-csrf={csrf} data-name-input="passkey-name" data-status="passkey-status">
          Add a passkey
        </button>
        <p id="passkey-status" role="status" aria-live="polite" class="muted"></p>
        <noscript>
          <p>Adding a passkey needs JavaScript in this browser.</p>
        </noscript>
      </div>
      <script type="module" src={PASSKEY_SCRIPT} nonce={nonce}></script>
    </section>
  );
}

export async function securityPage(c: Context<AppEnv>, extra?: { before?: Child; status?: 200 | 201 | 400 | 403 | 409 | 422 | 429 }) {
  const facts = await pageFacts(c);
  const passkeys = await listPasskeys(c.env.services, facts.session.userId);
  return c.html(
    <Layout facts={facts} title="Security" active="security">
      {extra?.before}
      <PasskeysSection facts={facts} passkeys={passkeys} nonce={c.get("cspNonce")} />
    </Layout>,
    extra?.status ?? 200,
  );
}

/** /app/security: the person's passkeys (and, with them, their second factor). */
export const registerSecurityPages = (app: PageRoutes) => app.get("/security", (c) => securityPage(c));
