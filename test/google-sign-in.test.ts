import { describe, expect, it } from "vitest";
import { chooseAccount, subjectFor } from "../dev/oidc-issuer/index.js";
import { createInvitation } from "../lib/people/invite.js";
import { SESSION_COOKIE } from "../lib/sessions/auth.js";
import { FLOW_COOKIE } from "../lib/oidc/flow.js";
import { CookieBrowser } from "./support/cookie-browser.js";
import { signIn as passkeyPerson, sessionFor, uniqueEmail, type SignedIn } from "./support/people-kit.js";
import { useGoogleRig } from "./support/google-rig.js";
import { createTestStack } from "./support/stack.js";

/**
 * Google sign-in end to end over real HTTP: a browser (cookies, redirects) between
 * Sandesh on a port of its own and the development issuer, as Google would stand.
 */
const CLIENT_ID = "sandesh-routes.apps.googleusercontent.com";
const CLIENT_SECRET = "GOCSPX-routes-test-secret-4567";
const rig = useGoogleRig(CLIENT_ID, CLIENT_SECRET);

interface Account {
  email: string;
  email_verified?: boolean;
  sub?: string;
}

/** Start at Sandesh, choose the account at the issuer, come back: the callback's answer, and what was on the way. */
async function googleSignIn(b: CookieBrowser, account: Account, start = "/app/auth/google/start") {
  const started = await b.get(`${rig.base}${start}`);
  expect(started.status).toBe(303);
  const authorizeUrl = started.headers.get("location")!;
  expect(authorizeUrl.startsWith(`${rig.issuer.url}/o/oauth2/v2/auth?`)).toBe(true);
  const callbackUrl = await chooseAccount(authorizeUrl, account);
  expect(callbackUrl.startsWith(`${rig.base}/app/auth/google/callback?`)).toBe(true);
  const res = await b.get(callbackUrl);
  return { res, location: res.headers.get("location"), authorizeUrl: new URL(authorizeUrl), callbackUrl };
}

const whoAmI = async (b: CookieBrowser) => {
  const res = await b.get(`${rig.base}/app/auth/session`);
  return res.status === 200 ? ((await res.json()) as { user: { id: string; email: string }; session: { method: string }; workspace: { id: string; role: string } | null; csrf_token: string }) : null;
};

const invite = async (email: string, role: "owner" | "agent" = "agent") => {
  const { workspaceId } = await rig.stack.tenant("Google");
  const inv = await createInvitation(rig.stack.services, { workspaceId, email, role }, { actorType: "operator", actorId: "test" });
  return { workspaceId, token: inv.token };
};

const audit = (workspaceId: string) => rig.stack.owner<{ action: string; details: Record<string, unknown> }[]>`select action, details from audit_log where workspace_id = ${workspaceId} order by created_at, id`;
const identitiesOf = (userId: string) => rig.stack.owner<{ issuer: string; subject: string; email: string }[]>`select issuer, subject, email from user_identities where user_id = ${userId}`;

describe("Google sign-in through the development issuer", () => {
  it("an invitee accepts with Google (the invited, verified address), is signed in, and next time Google alone signs them in", async () => {
    const email = uniqueEmail("asha");
    const { workspaceId, token } = await invite(email);
    const b = new CookieBrowser();
    const first = await googleSignIn(b, { email: email.toUpperCase() }, `/app/auth/google/start?invitation=${token}`);
    expect(first.authorizeUrl.searchParams.get("login_hint")).toBe(email);
    expect([first.res.status, first.location]).toEqual([303, "/app"]);
    const me = await whoAmI(b);
    expect(me).toMatchObject({ user: { email }, session: { method: "google" }, workspace: { id: workspaceId, role: "agent" } });
    expect(await identitiesOf(me!.user.id)).toEqual([{ issuer: rig.issuer.url, subject: subjectFor(email), email: email.toUpperCase() }]);
    expect((await audit(workspaceId)).map((r) => r.action)).toEqual(expect.arrayContaining(["invitation.accepted", "google.linked", "session.created"]));

    // The link is used up; another browser signs in with Google alone.
    const again = new CookieBrowser();
    const second = await googleSignIn(again, { email });
    expect(second.location).toBe("/app");
    const me2 = await whoAmI(again);
    expect(me2?.user.id).toBe(me!.user.id);
    expect(again.cookie(rig.base, SESSION_COOKIE)).not.toBe(b.cookie(rig.base, SESSION_COOKIE));
    expect((await audit(workspaceId)).map((r) => r.action)).toContain("google.sign_in");
  });

  it("signs in by the Google account (sub), not by its email: a new address on the same account still signs in", async () => {
    const email = uniqueEmail("sub");
    const sub = `1${String(Date.now()).padStart(20, "7")}`;
    const { token } = await invite(email);
    const b = new CookieBrowser();
    await googleSignIn(b, { email, sub }, `/app/auth/google/start?invitation=${token}`);
    const userId = (await whoAmI(b))!.user.id;
    const later = new CookieBrowser();
    expect((await googleSignIn(later, { email: uniqueEmail("renamed"), sub })).location).toBe("/app");
    expect((await whoAmI(later))!.user.id).toBe(userId);
  });

  it("never links by email at sign-in: a verified Google address equal to a user's is refused exactly like an unknown one", async () => {
    const person = await passkeyPerson(rig.stack);
    const known = await googleSignIn(new CookieBrowser(), { email: person.email });
    const unknown = await googleSignIn(new CookieBrowser(), { email: uniqueEmail("nobody") });
    for (const r of [known, unknown]) {
      expect([r.res.status, r.location, r.res.headers.getSetCookie().some((c) => c.startsWith(SESSION_COOKIE))]).toEqual([303, "/app/sign-in?error=google_failed", false]);
    }
    expect(await known.res.text()).toBe(await unknown.res.text());
    const page = await (await new CookieBrowser().get(`${rig.base}${known.location}`)).text();
    expect(page).toContain("Signing in with Google did not work");
    expect(await identitiesOf(person.userId)).toEqual([]);
    expect(rig.stack.logs.filter((l) => l.includes('"sign_in.failed"') && l.includes('"identity_unknown"')).length).toBeGreaterThanOrEqual(2);
  });

  it("refuses an invitation accepted with another Google address, or an unverified one: nothing is used up, the workspace's audit says so", async () => {
    const email = uniqueEmail("invitee");
    const { workspaceId, token } = await invite(email);
    const other = await googleSignIn(new CookieBrowser(), { email: uniqueEmail("intruder") }, `/app/auth/google/start?invitation=${token}`);
    expect(other.location).toBe("/app/sign-in?error=google_failed");
    const unverified = await googleSignIn(new CookieBrowser(), { email, email_verified: false }, `/app/auth/google/start?invitation=${token}`);
    expect(unverified.location).toBe("/app/sign-in?error=google_failed");
    const [inv] = await rig.stack.owner`select accepted_at from invitations where workspace_id = ${workspaceId}`;
    expect(inv!.accepted_at).toBeNull();
    const rows = await audit(workspaceId);
    expect(rows.find((r) => r.action === "invitation.accept_failed")?.details).toMatchObject({ method: "google", reason: "email_mismatch" });
    expect(rig.stack.logs.some((l) => l.includes('"email_unverified"'))).toBe(true);
    // The right account still accepts it.
    expect((await googleSignIn(new CookieBrowser(), { email }, `/app/auth/google/start?invitation=${token}`)).location).toBe("/app");
  });

  it("counts refused acceptances against the invitation: after 10, its Google start answers 429 from any address", async () => {
    const { token } = await invite(uniqueEmail("target"));
    for (let i = 0; i < 10; i++) {
      expect((await googleSignIn(new CookieBrowser(), { email: uniqueEmail("guess") }, `/app/auth/google/start?invitation=${token}`)).location).toBe("/app/sign-in?error=google_failed");
    }
    const limited = await new CookieBrowser().get(`${rig.base}/app/auth/google/start?invitation=${token}`);
    expect(limited.status).toBe(429);
  });

  it("refuses a Google account already linked to someone else for another person's invitation, and keeps that invitation", async () => {
    const a = uniqueEmail("first");
    const sub = `1${String(Date.now() + 1).padStart(20, "3")}`;
    await googleSignIn(new CookieBrowser(), { email: a, sub }, `/app/auth/google/start?invitation=${(await invite(a)).token}`);
    const b = uniqueEmail("second");
    const { workspaceId, token } = await invite(b);
    const taken = await googleSignIn(new CookieBrowser(), { email: b, sub }, `/app/auth/google/start?invitation=${token}`);
    expect(taken.location).toBe("/app/sign-in?error=google_failed");
    const [inv] = await rig.stack.owner`select accepted_at from invitations where workspace_id = ${workspaceId}`;
    expect(inv!.accepted_at).toBeNull();
    expect(await rig.stack.owner`select 1 from users where email = ${b}`).toHaveLength(0);
  });

  it("refuses a callback replayed, or brought to another browser, with the same generic answer and no session", async () => {
    const email = uniqueEmail("replay");
    await googleSignIn(new CookieBrowser(), { email }, `/app/auth/google/start?invitation=${(await invite(email)).token}`);
    const b = new CookieBrowser();
    const ok = await googleSignIn(b, { email });
    expect(ok.location).toBe("/app");
    const replay = await b.get(ok.callbackUrl);
    expect([replay.status, replay.headers.get("location"), replay.headers.getSetCookie().length]).toEqual([303, "/app/sign-in?error=google_failed", 0]);

    const victim = new CookieBrowser();
    const started = await victim.get(`${rig.base}/app/auth/google/start`);
    const stolen = await chooseAccount(started.headers.get("location")!, { email });
    const elsewhere = await new CookieBrowser().get(stolen);
    expect([elsewhere.headers.get("location"), elsewhere.headers.getSetCookie().length]).toEqual(["/app/sign-in?error=google_failed", 0]);
    expect(rig.stack.logs.some((l) => l.includes('"flow_binding"'))).toBe(true);
    expect(rig.stack.logs.some((l) => l.includes('"flow_unknown"'))).toBe(true);
  });

  it("limits attempts per address: past 30 a minute the start answers 429 with Retry-After", async () => {
    const b = new CookieBrowser();
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push((await b.get(`${rig.base}/app/auth/google/start`)).status);
    expect(statuses.slice(0, 30).every((x) => x === 303)).toBe(true);
    const last = await b.get(`${rig.base}/app/auth/google/start`);
    expect([last.status, Number(last.headers.get("retry-after")) > 0]).toEqual([429, true]);
  });

  it("an invalid invitation link goes to sign-in without visiting Google", async () => {
    const res = await new CookieBrowser().get(`${rig.base}/app/auth/google/start?invitation=inv_${"A".repeat(43)}`);
    expect([res.status, res.headers.get("location")]).toEqual([303, "/app/sign-in?error=google_failed"]);
  });
});

describe("linking Google from a signed-in session", () => {
  /** The person's browser: their session cookie in the jar, requests from the dashboard's origin. */
  const signedInBrowser = (who: SignedIn) => {
    const b = new CookieBrowser();
    b.set(rig.base, SESSION_COOKIE, who.token);
    return { b, form: { origin: rig.base, "content-type": "application/x-www-form-urlencoded" }, json: { origin: rig.base, "x-csrf-token": who.csrf } };
  };

  it("links with the session's CSRF token; Google then signs the person in; unlinking the only way to sign in is refused", async () => {
    const person = await passkeyPerson(rig.stack);
    const { b, form, json } = signedInBrowser(person);
    const noCsrf = await b.get(`${rig.base}/app/auth/google/link`, { method: "POST", headers: form, body: "" });
    expect(noCsrf.status).toBe(403);
    const link = await b.get(`${rig.base}/app/auth/google/link`, { method: "POST", headers: form, body: new URLSearchParams({ csrf: person.csrf }).toString() });
    expect(link.status).toBe(303);
    expect(b.cookie(rig.base, FLOW_COOKIE)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const callback = await chooseAccount(link.headers.get("location")!, { email: uniqueEmail("gmail") });
    const back = await b.get(callback);
    expect(back.headers.get("location")).toBe("/app/security?google=linked");
    const ids = await identitiesOf(person.userId);
    expect(ids).toHaveLength(1);
    expect((await audit(person.workspaceId)).map((r) => r.action)).toContain("google.linked");

    const listed = await b.get(`${rig.base}/app/auth/google/identities`);
    const { data } = (await listed.json()) as { data: { id: string; email: string }[] };
    expect(data.map((d) => d.email)).toEqual([ids[0]!.email]);
    // The person accepted their invitation by link alone and has no passkey: Google is their only way in.
    const remove = await b.get(`${rig.base}/app/auth/google/identities/${data[0]!.id}/remove`, { method: "POST", headers: json });
    expect(remove.status).toBe(409);
    expect(((await remove.json()) as { error: { code: string } }).error.code).toBe("last_sign_in_method");

    const google = new CookieBrowser();
    const signIn = await googleSignIn(google, { email: ids[0]!.email });
    expect(signIn.location).toBe("/app");
    expect((await whoAmI(google))!.user.id).toBe(person.userId);
  });

  it("does not link when the session that started it is gone by the time Google answers", async () => {
    const person = await passkeyPerson(rig.stack);
    const { b, json } = signedInBrowser(person);
    const link = await b.get(`${rig.base}/app/auth/google/link`, { method: "POST", headers: json });
    expect(link.status).toBe(200);
    const { authorization_url } = (await link.json()) as { authorization_url: string };
    const callback = await chooseAccount(authorization_url, { email: uniqueEmail("late") });
    expect((await b.get(`${rig.base}/app/auth/sign-out`, { method: "POST", headers: json })).status).toBe(200);
    const back = await b.get(callback);
    expect(back.headers.get("location")).toBe("/app/security?error=google_failed");
    expect(await identitiesOf(person.userId)).toEqual([]);
    expect((await audit(person.workspaceId)).find((r) => r.action === "google.link_failed")?.details).toMatchObject({ reason: "flow_binding" });
  });

  it("does not link into another session of the same person either (signed in again meanwhile)", async () => {
    const person = await passkeyPerson(rig.stack);
    const { b, json } = signedInBrowser(person);
    const { authorization_url } = (await (await b.get(`${rig.base}/app/auth/google/link`, { method: "POST", headers: json })).json()) as { authorization_url: string };
    const callback = await chooseAccount(authorization_url, { email: uniqueEmail("swapped") });
    const other = await sessionFor(rig.stack, person.userId, person.email, person.workspaceId);
    b.set(rig.base, SESSION_COOKIE, other.token);
    expect((await b.get(callback)).headers.get("location")).toBe("/app/security?error=google_failed");
    expect(await identitiesOf(person.userId)).toEqual([]);
  });
});

describe("secrets of the flow", () => {
  it("no code, state, nonce, PKCE verifier, ID token, client secret, flow binding or session token reaches the log or an answer body", async () => {
    const email = uniqueEmail("secrets");
    const b = new CookieBrowser();
    const r = await googleSignIn(b, { email }, `/app/auth/google/start?invitation=${(await invite(email)).token}`);
    const cb = new URL(r.callbackUrl);
    const secrets = [cb.searchParams.get("code")!, cb.searchParams.get("state")!, r.authorizeUrl.searchParams.get("nonce")!, CLIENT_SECRET, b.cookie(rig.base, FLOW_COOKIE)!, b.cookie(rig.base, SESSION_COOKIE)!];
    // A failing exchange too: an unknown-key token, refused after the code was spent.
    rig.issuer.misissueNext({ unpublishedKey: true });
    await googleSignIn(new CookieBrowser(), { email });
    const logs = rig.stack.logs.join("\n");
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThan(10);
      expect(logs).not.toContain(secret);
    }
    expect(logs).not.toMatch(/eyJ[A-Za-z0-9_-]{8,}\.eyJ/);
    expect(logs).not.toContain("ya29.");
    expect(await r.res.text()).not.toContain(secrets[0]!);
  });
});

describe("without a Google client", () => {
  it("start goes to sign-in saying Google is not available", async () => {
    const plain = await createTestStack();
    try {
      const res = await plain.request("/app/auth/google/start");
      expect([res.status, res.headers.get("location")]).toEqual([303, "/app/sign-in?error=google_unavailable"]);
    } finally {
      await plain.close();
    }
  });
});
