import { confirmTotp, startTotpEnrolment } from "../../lib/factors/enrol.js";
import type { FactorActor } from "../../lib/factors/actor.js";
import { signIn, type SignedIn } from "./people-kit.js";
import { SoftAuthenticator } from "./soft-authenticator.js";
import type { TestStack } from "./stack.js";

/**
 * The second-factor and passkey-registration routes (JSON under /app/auth, forms under /app/security), each
 * asked by a new owner of the workspace whose factor is where the route starts from. The
 * suite's clock moves one 30-second step before every code, so no code is a replay.
 */
export interface FactorTenant {
  stack: TestStack;
  workspaceId: string;
  /** The next time step's code for a secret (the clock moves to it). */
  code(secret: string): string;
}

export interface FactorStart {
  who: SignedIn;
  secret?: string;
  /** A body the setup prepared (a passkey's registration answer). */
  body?: Record<string, unknown>;
}

export interface FactorCase {
  setup: (t: FactorTenant) => Promise<FactorStart>;
  path: string;
  /** A form post (CSRF field) rather than JSON (X-CSRF-Token header). */
  form?: boolean;
  body?: (start: FactorStart, t: FactorTenant) => Record<string, unknown>;
  action: string;
}

const actor = (who: SignedIn): FactorActor => ({ userId: who.userId, email: who.email, workspaceId: who.workspaceId });
const fresh = async (t: FactorTenant): Promise<FactorStart> => ({ who: await signIn(t.stack, { workspaceId: t.workspaceId, role: "owner" }) });
const enrolling = async (t: FactorTenant): Promise<FactorStart> => {
  const { who } = await fresh(t);
  const { secret } = await startTotpEnrolment(t.stack.services, actor(who));
  return { who, secret };
};
const enrolled = async (t: FactorTenant): Promise<FactorStart> => {
  const start = await enrolling(t);
  await confirmTotp(t.stack.services, actor(start.who), t.code(start.secret!));
  return start;
};
/** A signed-in person's passkey registration, answered by a software authenticator. */
const registering = async (t: FactorTenant): Promise<FactorStart> => {
  const { who } = await fresh(t);
  const options = await factorPost(t.stack, who, { path: "/app/auth/passkey/register/options" }, {});
  if (options.status !== 200) throw new Error(`options: ${options.status} ${await options.text()}`);
  const response = await new SoftAuthenticator(t.stack.config.publicUrl).create(await options.json());
  return { who, body: { response, name: "Audit key" } };
};
const withCode = (s: FactorStart, t: FactorTenant) => ({ code: t.code(s.secret!) });

export const FACTOR_CASES: Record<string, FactorCase> = {
  "POST /app/auth/totp/enrol": { setup: fresh, path: "/app/auth/totp/enrol", action: "totp.enrolment_started" },
  "POST /app/auth/totp/confirm": { setup: enrolling, path: "/app/auth/totp/confirm", body: withCode, action: "totp.enabled" },
  "POST /app/auth/totp/verify": { setup: enrolled, path: "/app/auth/totp/verify", body: withCode, action: "second_factor.verified" },
  "POST /app/auth/totp/recovery-codes": { setup: enrolled, path: "/app/auth/totp/recovery-codes", body: withCode, action: "recovery_codes.regenerated" },
  "POST /app/auth/totp/disable": { setup: enrolled, path: "/app/auth/totp/disable", body: withCode, action: "totp.disabled" },
  "POST /app/security/totp/enrol": { setup: fresh, path: "/app/security/totp/enrol", form: true, action: "totp.enrolment_started" },
  "POST /app/security/totp/confirm": { setup: enrolling, path: "/app/security/totp/confirm", form: true, body: withCode, action: "totp.enabled" },
  "POST /app/security/setup/verify": { setup: enrolled, path: "/app/security/setup/verify", form: true, body: (s, t) => ({ ...withCode(s, t), next: "/app" }), action: "second_factor.verified" },
  "POST /app/security/recovery-codes": { setup: enrolled, path: "/app/security/recovery-codes", form: true, body: withCode, action: "recovery_codes.regenerated" },
  "POST /app/security/totp/disable": { setup: enrolled, path: "/app/security/totp/disable", form: true, body: withCode, action: "totp.disabled" },
  "POST /app/auth/passkey/register/verify": { setup: registering, path: "/app/auth/passkey/register/verify", body: (s) => s.body!, action: "passkey.added" },
  // Last: a new workspace requires a second factor (migration 0037); the owner turning that off is the change to audit.
  "POST /app/workspace/require-mfa": { setup: enrolled, path: "/app/workspace/require-mfa", body: () => ({ enabled: false }), action: "workspace.require_mfa_disabled" },
};

/** Posts as `who`: a form with the CSRF field, or JSON with the CSRF header, from the dashboard's origin. */
export async function factorPost(stack: TestStack, who: SignedIn, c: Pick<FactorCase, "path" | "form">, body: Record<string, unknown>): Promise<Response> {
  const headers: Record<string, string> = { origin: stack.config.allowedOrigins[0]!, cookie: who.cookie };
  let payload: string;
  if (c.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams({ ...Object.fromEntries(Object.entries(body).map(([k, v]) => [k, String(v)])), csrf: who.csrf }).toString();
  } else {
    headers["content-type"] = "application/json";
    headers["x-csrf-token"] = who.csrf;
    payload = JSON.stringify(body);
  }
  return stack.request(c.path, { method: "POST", headers, body: payload });
}
