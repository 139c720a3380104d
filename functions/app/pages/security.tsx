import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { listIdentities, type IdentityView } from "../../../lib/oidc/identities.js";
import { listPasskeys } from "../../../lib/passkeys/manage.js";
import type { PasskeySummary } from "../../../lib/passkeys/store.js";
import type { AppEnv } from "../../env.js";
import { PASSKEY_SCRIPT_PATH } from "../assets/passkey-script.js";
import { pageFacts, type PageFacts } from "./facts.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
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
      <script type="module" src={PASSKEY_SCRIPT_PATH} nonce={nonce}></script>
    </section>
  );
}

/** Google accounts linked as a way to sign in: link one (POST /app/auth/google/link sends the browser to Google), unlink one. */
export function GoogleSection({ facts, identities }: { facts: PageFacts; identities: IdentityView[] }) {
  const csrf = facts.session.csrfToken;
  return (
    <section aria-labelledby="google">
      <h2 id="google">Google</h2>
      <Table caption="Google accounts you sign in with" head={["Account", "Linked", "Last used", ""]} empty="No Google account linked." rows={identities.length}>
        {identities.map((i) => (
          <tr>
            <td>{i.email}</td>
            <td>{formatTime(i.createdAt)}</td>
            <td>{formatTime(i.lastUsedAt)}</td>
            <td>
              <PostButton action={`/app/auth/google/identities/${i.id}/remove`} csrf={csrf} label="Unlink" danger accessibleLabel={`Unlink Google account ${i.email}`} />
            </td>
          </tr>
        ))}
      </Table>
      <PostButton action="/app/auth/google/link" csrf={csrf} label="Link a Google account" />
    </section>
  );
}

/** Words for what the Google link flow sends back here (?google=linked, ?error=google_failed); anything else says nothing. */
const GOOGLE_OUTCOMES: Record<string, { text: string; alert: boolean }> = {
  "google=linked": { text: "The Google account is linked: you can sign in with it.", alert: false },
  "error=google_failed": { text: "Linking the Google account did not work. Try again.", alert: true },
};

export async function securityPage(c: Context<AppEnv>, extra?: { before?: Child; status?: 200 | 201 | 400 | 403 | 409 | 422 | 429 }) {
  const facts = await pageFacts(c);
  const [passkeys, identities] = await Promise.all([listPasskeys(c.env.services, facts.session.userId), listIdentities(c.env.services, facts.session.userId)]);
  const outcome = GOOGLE_OUTCOMES[c.req.query("google") ? `google=${c.req.query("google")}` : `error=${c.req.query("error") ?? ""}`];
  return c.html(
    <Layout facts={facts} title="Security" active="security">
      {outcome ? (
        <p class={outcome.alert ? "problems" : "flash"} role={outcome.alert ? "alert" : "status"}>
          {outcome.text}
        </p>
      ) : null}
      {extra?.before}
      <PasskeysSection facts={facts} passkeys={passkeys} nonce={c.get("cspNonce")} />
      <GoogleSection facts={facts} identities={identities} />
    </Layout>,
    extra?.status ?? 200,
  );
}

/** /app/security: the person's ways to sign in (passkeys, Google) and their second factor. */
export const registerSecurityPages = (app: PageRoutes) => app.get("/security", (c) => securityPage(c));
