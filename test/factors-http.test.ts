import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../lib/clock.js";
import { FACTOR_ATTEMPTS } from "../lib/factors/attempts.js";
import { totpCodeAt } from "../lib/factors/totp.js";
import { SESSION_COOKIE } from "../lib/sessions/auth.js";
import { createSession } from "../lib/sessions/create.js";
import { signIn, type SignedIn } from "./support/people-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// The test's own time, moved by whole 30-second steps; sessions and codes both read it.
let now = new Date(1_800_000_000_000 + 10_000);
const clock: Clock = { now: () => now };
const nextStep = () => (now = new Date(now.getTime() + 30_000));

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { clock });
});
afterAll(() => stack.close());

/** Everything the server answered, to prove no secret comes back after its one answer. */
const answers: string[] = [];

async function call(who: SignedIn, method: string, path: string, body?: Record<string, string> | object, opts: { form?: boolean; html?: boolean; csrf?: boolean } = {}) {
  const headers: Record<string, string> = { origin: stack.config.allowedOrigins[0]!, cookie: who.cookie };
  if (opts.csrf !== false && !opts.form) headers["x-csrf-token"] = who.csrf;
  if (opts.html) headers.accept = "text/html";
  let payload: string | undefined;
  if (body && opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams({ ...(body as Record<string, string>), ...(opts.csrf !== false ? { csrf: who.csrf } : {}) }).toString();
  } else if (body) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await stack.request(path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
  const text = await res.text();
  answers.push(`${res.status} ${JSON.stringify([...res.headers])} ${text}`);
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

/** The browser after a Set-Cookie: the new session's cookie and CSRF token. */
function follow(who: SignedIn, res: { headers: Headers }, csrf: string): SignedIn {
  const token = /__Host-sandesh_session=([^;]+)/.exec(res.headers.get("set-cookie") ?? "")![1]!;
  return { ...who, token, csrf, cookie: `${SESSION_COOKIE}=${token}` };
}

/** The same person signed in again with Google: no user verification, no second factor yet. */
async function googleSession(who: SignedIn): Promise<SignedIn> {
  const c = await createSession(stack.services, { userId: who.userId, method: "google", userVerified: false, workspaceId: who.workspaceId, ip: "203.0.113.7" });
  return { ...who, sessionId: c.session.sessionId, token: c.token, csrf: c.session.csrfToken, cookie: `${SESSION_COOKIE}=${c.token}` };
}

/** Enrols over HTTP (JSON); answers the secret, the codes and the stepped-up browser. */
async function enrolOverHttp(who: SignedIn) {
  const start = await call(who, "POST", "/app/auth/totp/enrol");
  expect(start.status).toBe(201);
  const { secret, otpauth_uri } = start.json();
  expect(otpauth_uri).toContain(`secret=${secret}`);
  const confirm = await call(who, "POST", "/app/auth/totp/confirm", { code: totpCodeAt(secret, now) });
  expect(confirm.status).toBe(200);
  const { recovery_codes, csrf_token } = confirm.json();
  expect(recovery_codes).toHaveLength(10);
  nextStep();
  return { secret, otpauth_uri: otpauth_uri as string, recoveryCodes: recovery_codes as string[], browser: follow(who, confirm, csrf_token) };
}

const secrets: string[] = [];

describe("TOTP over HTTP", () => {
  it("enrol shows the secret once; confirm answers the recovery codes once and steps up to a new session", async () => {
    const who = await signIn(stack);
    const before = await call(who, "GET", "/app/auth/totp");
    expect(before.json()).toEqual({ totp: "none", totp_enabled_at: null, recovery_codes_left: 0, session_has_second_factor: true });
    const answersBefore = answers.length;
    const e = await enrolOverHttp(who);
    const firstTwo = answers.slice(answersBefore);
    secrets.push(e.secret, e.otpauth_uri, ...e.recoveryCodes);
    expect(firstTwo[0]).toContain(e.secret);
    expect(firstTwo[1]).toContain(e.recoveryCodes[0]);
    // The old session was replaced: its cookie is refused now.
    expect((await call(who, "GET", "/app/auth/totp")).status).toBe(401);
    const status = await call(e.browser, "GET", "/app/auth/totp");
    expect(status.json()).toMatchObject({ totp: "enabled", recovery_codes_left: 10 });
    const [row] = await stack.owner`select second_factor_at from sessions where token_hash = encode(sha256(${e.browser.token}::bytea), 'hex')`;
    expect(row!.second_factor_at).not.toBeNull();
  });

  it("accepts form posts with the csrf field: wrong code a 400 page saying so, right code 303 to next with a new session", async () => {
    const owner = await signIn(stack);
    const e = await enrolOverHttp(owner);
    secrets.push(e.secret, ...e.recoveryCodes);
    const google = await googleSession(owner);
    const right = totpCodeAt(e.secret, now);
    const wrong = await call(google, "POST", "/app/auth/totp/verify", { code: String((Number(right) + 1) % 1e6).padStart(6, "0") }, { form: true });
    expect(wrong.status).toBe(400);
    expect(wrong.headers.get("content-type")).toMatch(/^text\/html/);
    expect(wrong.text).toContain("The code is not valid, or it was already used");
    const noCsrf = await call(google, "POST", "/app/auth/totp/verify", { code: right }, { form: true, csrf: false });
    expect(noCsrf.status).toBe(403);
    const ok = await call(google, "POST", "/app/auth/totp/verify", { code: right, next: "/app/sessions" }, { form: true });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/app/sessions");
    expect(ok.headers.get("set-cookie")).toMatch(/^__Host-sandesh_session=ses_/);
    const replay = await call(google, "POST", "/app/auth/totp/verify", { code: right }, { form: true });
    expect(replay.status).toBe(401); // the pending session is gone
    // A `next` outside the dashboard is not followed.
    nextStep();
    const again = await googleSession(owner);
    const offsite = await call(again, "POST", "/app/auth/totp/verify", { code: totpCodeAt(e.secret, now), next: "https://evil.example/" }, { form: true });
    expect(offsite.headers.get("location")).toBe("/app");
  });

  it(`the attempt limit: after ${FACTOR_ATTEMPTS} wrong codes, 429 rate_limited_second_factor with Retry-After`, async () => {
    const owner = await signIn(stack);
    const e = await enrolOverHttp(owner);
    secrets.push(e.secret, ...e.recoveryCodes);
    const google = await googleSession(owner);
    const wrong = String((Number(totpCodeAt(e.secret, now)) + 500_000) % 1e6).padStart(6, "0");
    for (let i = 0; i < FACTOR_ATTEMPTS; i++) expect((await call(google, "POST", "/app/auth/totp/verify", { code: wrong })).status).toBe(400);
    const limited = await call(google, "POST", "/app/auth/totp/verify", { code: totpCodeAt(e.secret, now) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.json().error).toMatchObject({ code: "rate_limited_second_factor", details: { retry_after_s: expect.any(Number) } });
  });

  it("recovery codes: regenerate needs a code or a fresh step-up; a recovery code steps up once", async () => {
    const owner = await signIn(stack);
    const e = await enrolOverHttp(owner);
    secrets.push(e.secret, ...e.recoveryCodes);
    // The confirming session stepped up just now: regenerating needs no code.
    const fresh = await call(e.browser, "POST", "/app/auth/totp/recovery-codes", {});
    expect(fresh.status).toBe(200);
    const codes: string[] = fresh.json().recovery_codes;
    secrets.push(...codes);
    now = new Date(now.getTime() + 11 * 60_000);
    const stale = await call(e.browser, "POST", "/app/auth/totp/recovery-codes", {});
    expect(stale.json().error.code).toBe("step_up_required");

    const google = await googleSession(owner);
    const old = await call(google, "POST", "/app/auth/totp/verify", { recovery_code: e.recoveryCodes[0]! });
    expect(old.status).toBe(400); // regenerated: the first set is dead
    const used = await call(google, "POST", "/app/auth/totp/verify", { recovery_code: codes[0]! });
    expect(used.status).toBe(200);
    expect(used.json()).toMatchObject({ verified: true, method: "recovery_code", recovery_codes_left: 9 });
    const google2 = await googleSession(owner);
    expect((await call(google2, "POST", "/app/auth/totp/verify", { recovery_code: codes[0]! })).status).toBe(400);
  });

  it("disable needs a current code; this browser continues in a new session without the mark, other sessions end", async () => {
    const owner = await signIn(stack);
    const e = await enrolOverHttp(owner);
    secrets.push(e.secret, ...e.recoveryCodes);
    const elsewhere = await googleSession(owner);
    now = new Date(now.getTime() + 11 * 60_000);
    expect((await call(e.browser, "POST", "/app/auth/totp/disable", {})).json().error.code).toBe("step_up_required");
    const off = await call(e.browser, "POST", "/app/auth/totp/disable", { code: totpCodeAt(e.secret, now) });
    expect(off.status).toBe(200);
    const after = follow(e.browser, off, off.json().csrf_token);
    expect((await call(after, "GET", "/app/auth/totp")).json()).toMatchObject({ totp: "none", session_has_second_factor: true }); // a passkey with UV
    expect((await call(e.browser, "GET", "/app/auth/totp")).status).toBe(401);
    expect((await call(elsewhere, "GET", "/app/auth/totp")).status).toBe(401);
    const actions = await stack.owner<{ action: string }[]>`select action from audit_log where workspace_id = ${owner.workspaceId} and actor_id = ${owner.userId} order by id`;
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(["totp.enrolment_started", "totp.enabled", "session.replaced", "totp.disabled", "session.revoked"]));
  });
});

describe("require_mfa", () => {
  it("the owner switches it on by form (an agent may not); a Google member without a factor reaches only set-up, then enrols and is in", async () => {
    const owner = await signIn(stack);
    const member = await signIn(stack, { workspaceId: owner.workspaceId, role: "agent" });
    // An agent lacks settings:write: refused.
    const refused = await call(member, "POST", "/app/workspace/require-mfa", { enabled: true });
    expect(refused.json().error).toMatchObject({ code: "forbidden", details: { missing: ["settings:write"] } });
    // A new workspace requires it already (migration 0037): off by form (an unticked box sends nothing), then on again.
    const off = await call(owner, "POST", "/app/workspace/require-mfa", {}, { form: true });
    expect([off.status, off.headers.get("location")]).toEqual([303, "/app/security"]);
    const [was] = await stack.owner`select require_mfa from workspaces where id = ${owner.workspaceId}`;
    expect(was!.require_mfa).toBe(false);
    const on = await call(owner, "POST", "/app/workspace/require-mfa", { enabled: "on" }, { form: true });
    expect(on.status).toBe(303);
    expect(on.headers.get("location")).toBe("/app/security");
    const [w] = await stack.owner`select require_mfa from workspaces where id = ${owner.workspaceId}`;
    expect(w!.require_mfa).toBe(true);

    // The member's passkey session (user verified) is fine; a Google one is held at set-up.
    expect((await call(member, "POST", "/app/sessions/revoke-others", {})).status).toBe(200);
    const google = await googleSession(member);
    const json = await call(google, "POST", "/app/sessions/revoke-others", {});
    expect(json.status).toBe(403);
    expect(json.json().error).toMatchObject({ code: "second_factor_required", details: { next: "enrol", required_by_workspace: true, setup_url: "/app/security/setup" } });
    const page = await call(google, "POST", "/app/sessions/revoke-others", {}, { form: true, html: true });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/app/security/setup");
    expect((await call(google, "GET", "/app/auth/totp")).status).toBe(200); // set-up routes answer
    expect((await call(google, "POST", "/app/workspace/require-mfa", { enabled: false })).json().error.code).toBe("second_factor_required");

    const e = await enrolOverHttp(google);
    secrets.push(e.secret, ...e.recoveryCodes);
    expect((await call(e.browser, "POST", "/app/sessions/revoke-others", {})).status).toBe(200);

    // The next Google sign-in is asked for the code, not for set-up.
    const later = await googleSession(member);
    expect((await call(later, "POST", "/app/sessions/revoke-others", {})).json().error.details.next).toBe("verify");
    const stepped = await call(later, "POST", "/app/auth/totp/verify", { code: totpCodeAt(e.secret, now) });
    expect(stepped.status).toBe(200);
    const [newer] = await stack.owner<{ id: string }[]>`select id from sessions where user_id = ${member.userId} and revoked_at is null and second_factor_at is not null order by created_at desc limit 1`;
    expect(newer!.id).not.toBe(later.sessionId);
    expect((await call(follow(later, stepped, stepped.json().csrf_token), "POST", "/app/sessions/revoke-others", {})).status).toBe(200);
  });

  it("turning it on from a session without a second factor is refused, so the owner cannot lock themselves out", async () => {
    const owner = await signIn(stack);
    expect((await call(owner, "POST", "/app/workspace/require-mfa", { enabled: "maybe" })).status).toBe(422);
    expect((await call(owner, "POST", "/app/workspace/require-mfa", { enabled: false })).status).toBe(200); // a new workspace requires it: off first
    const google = await googleSession(owner);
    const r = await call(google, "POST", "/app/workspace/require-mfa", { enabled: true });
    expect(r.status).toBe(403);
    expect(r.json().error.code).toBe("second_factor_required");
    expect((await call(google, "POST", "/app/sessions/revoke-others", {})).status).toBe(200); // not required now, and no TOTP: in, and still not required
    const [w] = await stack.owner`select require_mfa from workspaces where id = ${owner.workspaceId}`;
    expect(w!.require_mfa).toBe(false);
  });
});

describe("secrets after creation", () => {
  it("no TOTP secret, URI or recovery code in any later answer, nor in the logs", async () => {
    const from = answers.length;
    const owner = await signIn(stack);
    const e = await enrolOverHttp(owner);
    const mine = [e.secret, e.otpauth_uri, ...e.recoveryCodes];
    const google = await googleSession(owner);
    await call(google, "POST", "/app/auth/totp/verify", { code: "000000" });
    const stepped = await call(google, "POST", "/app/auth/totp/verify", { recovery_code: e.recoveryCodes[0]! });
    const browser = follow(google, stepped, stepped.json().csrf_token);
    await call(browser, "GET", "/app/auth/totp");
    await call(browser, "GET", "/app/auth/session");
    await call(browser, "POST", "/app/auth/totp/enrol"); // 409: already enabled, and says nothing more
    const regenerated = await call(browser, "POST", "/app/auth/totp/recovery-codes", {});
    const fresh: string[] = regenerated.json().recovery_codes;
    mine.push(...fresh);
    await call(browser, "POST", "/app/auth/totp/verify", { recovery_code: e.recoveryCodes[1]! });
    nextStep();
    await call(browser, "POST", "/app/auth/totp/disable", { code: totpCodeAt(e.secret, now) });
    const seen = answers.slice(from);
    // Each appears in exactly one answer: the one that created it.
    for (const secret of mine) expect(seen.filter((a) => a.includes(secret)).length, secret).toBe(1);
    expect(seen.findIndex((a) => a.includes(e.secret))).toBe(0); // enrol's
    expect(seen.findIndex((a) => a.includes(fresh[0]!))).toBe(seen.indexOf(seen.find((a) => a.includes(fresh[1]!))!));
    const logs = stack.logs.join("\n");
    for (const secret of [...mine, ...secrets]) expect(logs).not.toContain(secret);
    expect(logs).toContain("totp"); // the flow was logged (access log, audit-less events), just not its secrets
  });
});
