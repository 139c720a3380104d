import type { Context } from "hono";
import type { AppEnv } from "../../env.js";
import { PASSKEY_SCRIPT_PATH } from "../assets/passkey-script.js";
import type { PageRoutes } from "./routes.js";
import { takeFlash } from "./flash.js";
import { Bare } from "./layout.js";
import { Flash } from "./ui.js";

/** Words for the `?error=` codes the sign-in routes send people back with; anything else says nothing. */
const SIGN_IN_ERRORS: Record<string, string> = {
  google_failed: "Signing in with Google did not work. Try again, or use a passkey.",
  google_unavailable: "Sign-in with Google is not set up here. Use a passkey.",
};

function signInPage(c: Context<AppEnv>) {
  const error = SIGN_IN_ERRORS[c.req.query("error") ?? ""] ?? null;
  const flash = takeFlash(c);
  return c.html(
    <Bare title="Sign in">
      <h1>Sign in to Sandesh</h1>
      <Flash message={flash} />
      {error ? (
        <p class="problems" role="alert">
          {error}
        </p>
      ) : null}
      <section class="card" aria-labelledby="with-passkey">
        <h2 id="with-passkey">With a passkey</h2>
        <p>Your device asks for your fingerprint, face or PIN. No password is involved.</p>
        <button type="button" id="passkey-sign-in" data-options="/app/auth/passkey/login/options" data-verify="/app/auth/passkey/login/verify">
          Sign in with a passkey
        </button>
        <p id="passkey-status" role="status" aria-live="polite" class="muted"></p>
        <noscript>
          <p>Passkeys need JavaScript in this browser; you can still sign in with Google below.</p>
        </noscript>
      </section>
      <section class="card" aria-labelledby="with-google">
        <h2 id="with-google">With Google</h2>
        <p>
          <a href="/app/auth/google/start">Sign in with Google</a>
        </p>
      </section>
      <p class="muted">No account? An owner of your workspace sends you an invitation link.</p>
      <script type="module" src={PASSKEY_SCRIPT_PATH} nonce={c.get("cspNonce")}></script>
    </Bare>,
  );
}

/** /app/sign-in: passkey (the ceremony runs in the passkey script) or Google. Needs no session. */
export const registerSignInPage = (app: PageRoutes) => app.get("/sign-in", signInPage);
