import type { Context } from "hono";
import { confirmTotp, startTotpEnrolment, type TotpEnrolment } from "../../../lib/factors/enrol.js";
import { disableTotp } from "../../../lib/factors/disable.js";
import { regenerateRecoveryCodes } from "../../../lib/factors/regenerate.js";
import { secondFactorNeed } from "../../../lib/factors/require-mfa.js";
import { dropSecondFactor, stepUpSession } from "../../../lib/factors/session-swap.js";
import { factorProofFrom, verifySecondFactor, type FactorProof } from "../../../lib/factors/verify.js";
import type { CreatedSession } from "../../../lib/sessions/create.js";
import type { AppEnv } from "../../env.js";
import { dashboardPath } from "../auth/totp/body.js";
import { factorActor, whereOf } from "../auth/totp/who.js";
import { sessionOf } from "../middleware/session.js";
import { pageFacts } from "./facts.js";
import { redirectWithFlash } from "./flash.js";
import { attempt, readForm, type FormFields, type FormProblem } from "./form.js";
import { Bare, Layout } from "./layout.js";
import type { PageRoutes } from "./routes.js";
import { CodeField, EnrolButton, Enrolment, RecoveryCodes } from "./second-factor-ui.js";
import { securityPage } from "./security.js";
import { CsrfField, Field, Problems } from "./ui.js";

/**
 * The second factor as pages, without JavaScript. The work is lib/factors' (the JSON
 * routes for scripts are /app/auth/totp/…); these answer a form with a page: the set-up
 * key on the answer to the POST that made it, once; after the first code the browser
 * steps up to a NEW session (its cookie on this answer, the page rendered with its CSRF
 * token) and sees its ten recovery codes, once.
 */

/** A step-up's new session: its cookie on this answer, and what follows rendered as it. */
function continueAs(c: Context<AppEnv>, next: CreatedSession) {
  c.header("Set-Cookie", next.setCookie, { append: true });
  c.set("session", next.session);
}

/** `code` or `recovery_code` when the form has one; none: a recent step-up must do (lib/factors/fresh.ts). */
function optionalProof(f: FormFields): FactorProof | null {
  const code = f.text("code");
  const recovery = f.text("recovery_code");
  return code || recovery ? factorProofFrom({ code, recovery_code: recovery }) : null;
}

/**
 * /app/security/setup: where a session that must present a second factor first is sent
 * (functions/app/middleware/second-factor.ts), with `next`. A person with the app enters
 * a code or a recovery code; one without sets the app up here.
 */
async function setupPage(c: Context<AppEnv>, next: string, shown: { enrolment?: TotpEnrolment; problem?: FormProblem; codes?: string[] } = {}) {
  const session = sessionOf(c);
  const need = shown.codes ? null : await secondFactorNeed(c.env.services, session);
  if (!need && !shown.codes) return c.redirect(next, 303);
  const csrf = session.csrfToken;
  const problem = shown.problem;
  return c.html(
    <Bare title="Second factor">
      <h1>One more step</h1>
      {shown.codes ? (
        <RecoveryCodes codes={shown.codes} next={next} />
      ) : need?.next === "verify" ? (
        <form method="post" action="/app/security/setup/verify" class="card" aria-labelledby="verify">
          <h2 id="verify">Enter a code from your authenticator app</h2>
          <Problems message={problem?.message} errors={problem?.errors} />
          <CsrfField token={csrf} />
          <input type="hidden" name="next" value={next} />
          <CodeField form="verify" errors={problem?.errors} />
          <Field form="verify" name="recovery_code" label="Or a recovery code" autocomplete="off" errors={problem?.errors} />
          <button type="submit">Continue</button>
        </form>
      ) : shown.enrolment || problem ? (
        <Enrolment csrf={csrf} enrolment={shown.enrolment} next={next} problem={problem} />
      ) : (
        <EnrolButton
          csrf={csrf}
          next={next}
          text={`${need?.required_by_workspace ? "Your workspace requires a second factor of every member. " : ""}Set up an authenticator app now, or sign out and sign in again with a passkey that asks for your PIN or fingerprint.`}
        />
      )}
      <form method="post" action="/app/auth/sign-out">
        <CsrfField token={csrf} />
        <button type="submit" class="link">
          Sign out
        </button>
      </form>
    </Bare>,
    problem?.status ?? (shown.enrolment || shown.codes ? 201 : 200),
  );
}

/** The enrolment as the security page shows it (signed in with every factor it needs). */
async function enrolmentPage(c: Context<AppEnv>, shown: { enrolment?: TotpEnrolment; problem?: FormProblem }) {
  const facts = await pageFacts(c);
  return c.html(
    <Layout facts={facts} title="Security" active="security">
      <Enrolment csrf={facts.session.csrfToken} enrolment={shown.enrolment} problem={shown.problem} />
    </Layout>,
    shown.problem?.status ?? 201,
  );
}

/** Set-up: reachable by a session that still lacks the second factor its person needs. */
export function registerSecondFactorSetup(app: PageRoutes) {
  app.get("/security/setup", (c) => setupPage(c, dashboardPath(c.req.query("next"))));
  // `next` present: the set-up page's own flow; absent: the security page's.
  app.post("/security/totp/enrol", async (c) => {
    const next = (await readForm(c)).text("next");
    const r = await attempt(() => startTotpEnrolment(c.env.services, factorActor(c)));
    const shown = r.ok ? { enrolment: r.value } : { problem: r.problem };
    if (next !== undefined) return setupPage(c, dashboardPath(next), shown);
    return r.ok ? enrolmentPage(c, shown) : securityPage(c, { totpProblem: r.problem });
  });
  app.post("/security/totp/confirm", async (c) => {
    const form = await readForm(c);
    const next = form.text("next");
    const r = await attempt(async () => {
      const { recovery_codes } = await confirmTotp(c.env.services, factorActor(c), form.text("code")?.replace(/\s/g, "") ?? "");
      return { codes: recovery_codes, session: await stepUpSession(c.env.services, sessionOf(c), whereOf(c)) };
    });
    if (!r.ok) return next !== undefined ? setupPage(c, dashboardPath(next), { problem: r.problem }) : enrolmentPage(c, { problem: r.problem });
    continueAs(c, r.value.session);
    if (next !== undefined) return setupPage(c, dashboardPath(next), { codes: r.value.codes });
    return securityPage(c, { status: 201, before: <RecoveryCodes codes={r.value.codes} /> });
  });
  app.post("/security/setup/verify", async (c) => {
    const form = await readForm(c);
    const next = dashboardPath(form.text("next"));
    const r = await attempt(async () => {
      await verifySecondFactor(c.env.services, factorActor(c), factorProofFrom({ code: form.text("code"), recovery_code: form.text("recovery_code") }));
      return stepUpSession(c.env.services, sessionOf(c), whereOf(c));
    });
    if (!r.ok) return setupPage(c, next, { problem: r.problem });
    c.header("Set-Cookie", r.value.setCookie, { append: true });
    return c.redirect(next, 303);
  });
}

/** Changing the factor itself: behind the second factor, like every member page. */
export function registerSecondFactorPages(app: PageRoutes) {
  app.post("/security/recovery-codes", async (c) => {
    const form = await readForm(c);
    const r = await attempt(() => regenerateRecoveryCodes(c.env.services, factorActor(c), optionalProof(form), sessionOf(c).secondFactorAt));
    return r.ok ? securityPage(c, { status: 201, before: <RecoveryCodes codes={r.value.recovery_codes} /> }) : securityPage(c, { totpProblem: r.problem });
  });
  app.post("/security/totp/disable", async (c) => {
    const form = await readForm(c);
    const session = sessionOf(c);
    const r = await attempt(async () => {
      await disableTotp(c.env.services, factorActor(c), optionalProof(form), session.secondFactorAt);
      return dropSecondFactor(c.env.services, session, whereOf(c));
    });
    if (!r.ok) return securityPage(c, { totpProblem: r.problem });
    c.header("Set-Cookie", r.value.setCookie, { append: true });
    return redirectWithFlash(c, "/app/security", "totp_disabled");
  });
}
