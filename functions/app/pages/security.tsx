import type { Context } from "hono";
import type { Child } from "hono/jsx";
import { factorStatus } from "../../../lib/factors/status.js";
import { listIdentities, type IdentityView } from "../../../lib/oidc/identities.js";
import { listPasskeys } from "../../../lib/passkeys/manage.js";
import type { PasskeySummary } from "../../../lib/passkeys/store.js";
import { workspaceRequiresMfa } from "../../../lib/workspaces/workspaces.js";
import type { AppEnv } from "../../env.js";
import { PASSKEY_SCRIPT_PATH } from "../assets/passkey-script.js";
import { pageFacts, type PageFacts } from "./facts.js";
import type { FormProblem } from "./form.js";
import { formatTime } from "./format.js";
import { Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { TotpSection } from "./second-factor-ui.js";
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

/**
 * The owner's switch: every member must have a second factor (POST /app/workspace/require-mfa).
 * On by default for a new workspace; the page warns what turning it off gives away, and
 * says so plainly while it is off.
 */
function WorkspaceMfa({ csrf, required }: { csrf: string; required: boolean }) {
  return (
    <form method="post" action="/app/workspace/require-mfa" class="card" aria-labelledby="require-mfa">
      <h2 id="require-mfa">Workspace</h2>
      <CsrfField token={csrf} />
      <label class="check">
        <input type="checkbox" name="enabled" value="on" checked={required} aria-describedby="require-mfa-warning" /> Require a second factor (an authenticator app, or a passkey that verifies the person) of every member
      </label>
      {required ? (
        <p id="require-mfa-warning" class="muted">
          Warning: if you stop requiring it, a member who signs in with Google and has no authenticator app gets in with one factor only. Turning it off is recorded in the audit log.
        </p>
      ) : (
        <p id="require-mfa-warning" class="problems" role="alert">
          A second factor is not required in this workspace: a member who signs in with Google and has no authenticator app gets in with one factor only. Tick the box and save to require it.
        </p>
      )}
      <p>
        <button type="submit">Save</button>
      </p>
    </form>
  );
}

export interface SecurityExtra {
  /** Shown above the sections: a secret shown once, a problem with a form. */
  before?: Child;
  status?: 200 | 201 | FormProblem["status"];
  totpProblem?: FormProblem | undefined;
}

export async function securityPage(c: Context<AppEnv>, extra: SecurityExtra = {}) {
  const facts = await pageFacts(c);
  const s = c.env.services;
  const { userId, workspaceId, role } = facts.session;
  const [passkeys, identities, factors, requireMfa] = await Promise.all([
    listPasskeys(s, userId),
    listIdentities(s, userId),
    factorStatus(s, userId),
    workspaceId && role === "owner" ? workspaceRequiresMfa(s, workspaceId) : Promise.resolve(null),
  ]);
  const outcome = GOOGLE_OUTCOMES[c.req.query("google") ? `google=${c.req.query("google")}` : `error=${c.req.query("error") ?? ""}`];
  return c.html(
    <Layout facts={facts} title="Security" active="security">
      {outcome ? (
        <p class={outcome.alert ? "problems" : "flash"} role={outcome.alert ? "alert" : "status"}>
          {outcome.text}
        </p>
      ) : null}
      {extra.before}
      <PasskeysSection facts={facts} passkeys={passkeys} nonce={c.get("cspNonce")} />
      <GoogleSection facts={facts} identities={identities} />
      <TotpSection csrf={facts.session.csrfToken} status={factors} problem={extra.totpProblem} />
      {requireMfa === null ? null : <WorkspaceMfa csrf={facts.session.csrfToken} required={requireMfa} />}
    </Layout>,
    extra.status ?? extra.totpProblem?.status ?? 200,
  );
}

/** /app/security: the person's ways to sign in (passkeys, Google) and their second factor. */
export const registerSecurityPages = (app: PageRoutes) => app.get("/security", (c) => securityPage(c));
