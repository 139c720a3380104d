import type { TotpEnrolment } from "../../../lib/factors/enrol.js";
import type { FactorStatus } from "../../../lib/factors/status.js";
import type { FormProblem } from "./form.js";
import { formatTime } from "./format.js";
import { QrCode } from "./qr-code.js";
import { CsrfField, Field, Problems } from "./ui.js";

/** A 6-digit code from the app: numeric keyboard, the browser's one-time-code autofill. */
export const CodeField = ({ form, errors, label = "Code from the app" }: { form: string; errors?: FormProblem["errors"] | undefined; label?: string }) => (
  <Field form={form} name="code" label={label} inputmode="numeric" autocomplete="one-time-code" pattern="\d{6}" maxlength={6} errors={errors} />
);

/** The security page's authenticator section: what the person has, and the forms that change it. */
export function TotpSection({ csrf, status, problem }: { csrf: string; status: FactorStatus; problem?: FormProblem | undefined }) {
  return (
    <section aria-labelledby="totp">
      <h2 id="totp">Authenticator app</h2>
      <Problems message={problem?.message} errors={problem?.errors} />
      {status.totp === "enabled" ? (
        <>
          <p>
            On since {formatTime(status.totp_enabled_at)}. {status.recovery_codes_left} of 10 recovery codes left.
          </p>
          <form method="post" action="/app/security/recovery-codes" class="card" aria-labelledby="new-codes">
            <h3 id="new-codes">New recovery codes</h3>
            <p class="muted">Every earlier code stops working. Needs a current code, unless you entered one in the last ten minutes.</p>
            <CsrfField token={csrf} />
            <CodeField form="codes" errors={problem?.errors} />
            <button type="submit">Make new recovery codes</button>
          </form>
          <form method="post" action="/app/security/totp/disable" class="card" aria-labelledby="totp-off">
            <h3 id="totp-off">Switch the authenticator app off</h3>
            <p class="muted">Your other sessions are signed out. Needs a current code, unless you entered one in the last ten minutes.</p>
            <CsrfField token={csrf} />
            <CodeField form="disable" errors={problem?.errors} />
            <button type="submit" class="danger">
              Switch off
            </button>
          </form>
        </>
      ) : (
        <EnrolButton csrf={csrf} text={status.totp === "pending" ? "A set-up was started and not finished: start again for a new key." : "Add a second factor: a 6-digit code from an app such as Google Authenticator or 1Password."} />
      )}
    </section>
  );
}

export function EnrolButton({ csrf, text, next }: { csrf: string; text: string; next?: string | undefined }) {
  return (
    <form method="post" action="/app/security/totp/enrol" class="card">
      <p>{text}</p>
      <CsrfField token={csrf} />
      {next ? <input type="hidden" name="next" value={next} /> : null}
      <button type="submit">Set up an authenticator app</button>
    </form>
  );
}

/** The set-up key, on the answer that made it only, and the form for its first code. */
export function Enrolment({ csrf, enrolment, next, problem }: { csrf: string; enrolment?: TotpEnrolment | undefined; next?: string | undefined; problem?: FormProblem | undefined }) {
  return (
    <section class="card" aria-labelledby="enrol">
      <h2 id="enrol">Set up the authenticator app</h2>
      {enrolment ? (
        <>
          <p>
            Add this account in the app (scan the QR code with it, open the link on the phone that has the app, or type the key), then enter the code it shows. The key is shown only now; confirm it before{" "}
            {formatTime(enrolment.expires_at)}.
          </p>
          <QrCode text={enrolment.otpauth_uri} label="QR code for the authenticator app to scan" />
          <p>
            <a href={enrolment.otpauth_uri}>Add to an authenticator app on this device</a>
          </p>
          <p class="secret" aria-label="The set-up key">
            {enrolment.secret}
          </p>
        </>
      ) : null}
      <form method="post" action="/app/security/totp/confirm">
        <Problems message={problem?.message} errors={problem?.errors} />
        <CsrfField token={csrf} />
        {next ? <input type="hidden" name="next" value={next} /> : null}
        <CodeField form="confirm" errors={problem?.errors} label="Code the app shows" />
        <button type="submit">Confirm</button>
      </form>
    </section>
  );
}

export function RecoveryCodes({ codes, next }: { codes: string[]; next?: string | undefined }) {
  return (
    <section class="card" aria-labelledby="recovery-codes">
      <h2 id="recovery-codes">Your recovery codes</h2>
      <p>Each works once, in place of a code from the app. Keep them somewhere safe: they are not shown again.</p>
      <ul class="secret" aria-label="Recovery codes">
        {codes.map((code) => (
          <li>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      {next ? (
        <p>
          <a href={next}>Continue</a>
        </p>
      ) : null}
    </section>
  );
}
