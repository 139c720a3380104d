import { describe, expect, it } from "vitest";
import { totpCodeAt } from "../lib/factors/totp.js";
import { createInvitation } from "../lib/people/invite.js";
import { SESSION_COOKIE } from "../lib/sessions/auth.js";
import { CookieBrowser } from "./support/cookie-browser.js";
import { uniqueEmail } from "./support/people-kit.js";
import { enrolTotp, googleSignIn, jsonPost, useGoogleRig } from "./support/google-rig.js";

/**
 * A Google sign-in (no user verification) into a workspace that requires a second
 * factor, end to end over real HTTP with the development issuer: held at set-up, then
 * enrolled, then on the next sign-in asked for a code and stepped up to a new session.
 */
const CLIENT_ID = "sandesh-factors.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-factors-test-secret-8910";
const rig = useGoogleRig(CLIENT_ID, CLIENT_SECRET);

const signIn = (b: CookieBrowser, email: string, start?: string) => googleSignIn(rig.base, b, email, start);
const post = (b: CookieBrowser, csrf: string, path: string, body: object = {}) => jsonPost(rig.base, b, csrf, path, body);

describe("Google sign-in into a workspace that requires a second factor", () => {
  it("is held at set-up, enrols TOTP and is in; the next Google sign-in must enter a code and gets a new session", async () => {
    const email = uniqueEmail("mfa");
    const { workspaceId } = await rig.stack.tenant("MFA"); // a new workspace requires a second factor (migration 0037)
    const inv = await createInvitation(rig.stack.services, { workspaceId, email, role: "agent" }, { actorType: "operator", actorId: "test" });

    const b = new CookieBrowser();
    const csrf = await signIn(b, email, `/app/auth/google/start?invitation=${inv.token}`);
    // A page: to set-up, with the way back. Anything else: 403 naming what to do.
    const page = await b.get(`${rig.base}/app`, { headers: { accept: "text/html" } });
    expect([page.status, page.headers.get("location")]).toEqual([303, "/app/security/setup?next=%2Fapp"]);
    const held = await post(b, csrf, "/app/sessions/revoke-others");
    expect(held.status).toBe(403);
    expect(((await held.json()) as { error: unknown }).error).toMatchObject({ code: "second_factor_required", details: { next: "enrol", required_by_workspace: true } });

    const { secret, enrolledAt, csrf: csrf_token } = await enrolTotp(rig.base, b, csrf);
    expect((await post(b, csrf_token, "/app/sessions/revoke-others")).status).toBe(200);

    // Another browser, Google again: now a code is asked for.
    const other = new CookieBrowser();
    const pending = await signIn(other, email);
    const pendingCookie = other.cookie(rig.base, SESSION_COOKIE);
    const ask = await post(other, pending, "/app/sessions/revoke-others");
    expect(((await ask.json()) as { error: { details: { next: string } } }).error.details.next).toBe("verify");
    const verified = await post(other, pending, "/app/auth/totp/verify", { code: totpCodeAt(secret, new Date(enrolledAt.getTime() + 30_000)) });
    expect(verified.status).toBe(200);
    expect(other.cookie(rig.base, SESSION_COOKIE)).not.toBe(pendingCookie);
    const { csrf_token: after } = (await verified.json()) as { csrf_token: string };
    expect((await post(other, after, "/app/sessions/revoke-others")).status).toBe(200);
    const actions = await rig.stack.owner<{ action: string }[]>`select action from audit_log where workspace_id = ${workspaceId} order by id`;
    expect(actions.map((a) => a.action)).toEqual(expect.arrayContaining(["google.sign_in", "totp.enabled", "second_factor.verified", "session.replaced"]));
  });
});
