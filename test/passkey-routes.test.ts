import { Script } from "node:vm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createInvitation } from "../lib/people/invite.js";
import { browser, signIn, uniqueEmail, type SignedIn } from "./support/people-kit.js";
import { SoftAuthenticator } from "./support/soft-authenticator.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let stack: TestStack;
let origin: string;
/** Every challenge an answer carried: none may come back in another answer or reach a log. */
const challenges: string[] = [];
/** Every answer body after the options that created a challenge. */
const laterBodies: string[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  origin = stack.config.publicUrl;
});
afterAll(() => stack.close());
/** Each test is its own client address: sign-in endpoints are limited per address (30 a minute). */
let ip = "";
beforeEach(() => {
  ip = `198.18.${Math.floor(Math.random() * 256)}.${Math.floor(Math.random() * 256)}`;
});
const request = (path: string, init?: RequestInit) => Promise.resolve(stack.app.fetch(new Request(`http://sandesh.test${path}`, init), { services: stack.services, ip }));

const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
  const res = await request(path, { method: "POST", headers: { "content-type": "application/json", origin, ...headers }, body: JSON.stringify(body) });
  const text = await res.text();
  const json = text ? JSON.parse(text) : null;
  if (json?.challenge) challenges.push(json.challenge);
  else laterBodies.push(text);
  return { res, json };
};
const signedIn = (who: SignedIn) => ({ cookie: who.cookie, "x-csrf-token": who.csrf });
const cookieOf = (res: Response) => /^(__Host-sandesh_session=[^;]+)/.exec(res.headers.get("set-cookie") ?? "")?.[1];

async function invite(email = uniqueEmail("invitee")) {
  const { workspaceId } = await stack.tenant("Invites");
  const inv = await createInvitation(stack.services, { workspaceId, email, role: "admin" }, { actorType: "operator", actorId: "test" });
  return { workspaceId, email, token: inv.token };
}

/** Accepts an invitation by registering a passkey on `device`, as the invitation page's script does. */
async function acceptWithPasskey(device: SoftAuthenticator, token: string, name?: string) {
  const options = await post("/app/auth/passkey/register/options", { invitation: token });
  expect(options.res.status).toBe(200);
  return post("/app/auth/passkey/register/verify", { invitation: token, response: await device.create(options.json), name });
}

async function login(device: SoftAuthenticator, tamper = {}, next?: string) {
  const options = await post("/app/auth/passkey/login/options", {});
  expect(options.res.status).toBe(200);
  return post("/app/auth/passkey/login/verify", { response: await device.get(options.json, tamper), next });
}

const audit = (workspaceId: string) => stack.owner<{ action: string; actor_id: string | null }[]>`select action, actor_id from audit_log where workspace_id = ${workspaceId} order by id`;

describe("passkey routes", () => {
  it("an invitee registers a passkey from the link: member, passkey and session at once; then signs out and back in with it", async () => {
    const inv = await invite();
    const device = new SoftAuthenticator(origin);
    const options = await post("/app/auth/passkey/register/options", { invitation: inv.token });
    expect(options.json).toMatchObject({ rp: { id: "localhost" }, user: { name: inv.email }, authenticatorSelection: { residentKey: "required", userVerification: "required" } });
    const done = await post("/app/auth/passkey/register/verify", { invitation: inv.token, response: await device.create(options.json), name: "Laptop" });
    expect(done.res.status).toBe(201);
    expect(done.json).toMatchObject({ signed_in: true, workspace_id: inv.workspaceId, next: "/app", passkey: { name: "Laptop", backed_up: true } });
    expect(done.res.headers.get("set-cookie")).toMatch(/^__Host-sandesh_session=ses_[A-Za-z0-9_-]{43}; .*HttpOnly; Secure; SameSite=Lax/);
    const cookie = cookieOf(done.res)!;
    const me = await (await request("/app/auth/session", { headers: { cookie } })).json();
    expect(me).toMatchObject({ user: { email: inv.email }, workspace: { id: inv.workspaceId, role: "admin" }, session: { method: "passkey", user_verified: true } });

    const out = await post("/app/auth/sign-out", {}, { cookie, "x-csrf-token": me.csrf_token });
    expect(out.res.status).toBe(200);
    const back = await login(device);
    expect(back.res.status).toBe(200);
    expect(back.json).toMatchObject({ signed_in: true, next: "/app", workspace_id: inv.workspaceId });
    const again = cookieOf(back.res)!;
    expect(again).not.toBe(cookie);
    expect((await request("/app/auth/session", { headers: { cookie: again } })).status).toBe(200);
    expect((await request("/app/auth/session", { headers: { cookie } })).status).toBe(401);

    const actions = (await audit(inv.workspaceId)).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["invitation.accepted", "passkey.added", "session.created", "passkey.sign_in"]));
    expect(actions.indexOf("passkey.added")).toBeLessThan(actions.indexOf("passkey.sign_in"));
  });

  it("the invitation is used once: its passkey answer replayed is refused, and so is a second registration from the link", async () => {
    const inv = await invite();
    const device = new SoftAuthenticator(origin);
    const options = await post("/app/auth/passkey/register/options", { invitation: inv.token });
    const response = await device.create(options.json);
    expect((await post("/app/auth/passkey/register/verify", { invitation: inv.token, response })).res.status).toBe(201);
    const replay = await post("/app/auth/passkey/register/verify", { invitation: inv.token, response });
    expect(replay.res.status).toBe(410);
    expect(replay.res.headers.get("set-cookie")).toBeNull();
    expect((await post("/app/auth/passkey/register/options", { invitation: inv.token })).res.status).toBe(410);
    const [n] = await stack.owner`select count(*)::int as n from passkeys p join users u on u.id = p.user_id where u.email = ${inv.email}`;
    expect(n!.n).toBe(1);
  });

  it("a registration answer made for one invitation cannot accept another", async () => {
    const a = await invite();
    const b = await invite();
    const options = await post("/app/auth/passkey/register/options", { invitation: a.token });
    const res = await post("/app/auth/passkey/register/verify", { invitation: b.token, response: await new SoftAuthenticator(origin).create(options.json) });
    expect(res.res.status).toBe(401);
    expect(res.json.error.code).toBe("passkey_refused");
    const [u] = await stack.owner`select count(*)::int as n from users where email in (${a.email}, ${b.email})`;
    expect(u!.n).toBe(0);
    // Recorded in the workspace whose invitation was answered, with the reason.
    const [failed] = await stack.owner<{ details: Record<string, unknown>; object_type: string }[]>`
      select details, object_type from audit_log where workspace_id = ${b.workspaceId} and action = 'passkey.add_failed'`;
    expect(failed).toMatchObject({ object_type: "invitation", details: { reason: "challenge_other_subject" } });
    expect((await post("/app/auth/passkey/register/options", { invitation: b.token })).res.status).toBe(200);
  });

  it("an invitation whose email already has an account cannot be accepted by registering a passkey from the link alone", async () => {
    const existing = await signIn(stack);
    const inv = await invite(existing.email);
    const res = await post("/app/auth/passkey/register/options", { invitation: inv.token });
    expect(res.res.status).toBe(409);
    expect(res.json.error.code).toBe("invitation_sign_in_first");
  });

  it("an unknown or malformed invitation token: 410, the same answer", async () => {
    for (const token of [`inv_${"A".repeat(43)}`, "nope"]) {
      const res = await post("/app/auth/passkey/register/options", { invitation: token });
      expect(res.res.status).toBe(410);
      expect(res.json.error.code).toBe("invitation_invalid");
    }
  });

  it("a refused sign-in is 401 passkey_refused in the error shape, sets no cookie and says nothing of why", async () => {
    const inv = await invite();
    const device = new SoftAuthenticator(origin);
    await acceptWithPasskey(device, inv.token);
    const refused = await login(device, { uv: false });
    expect(refused.res.status).toBe(401);
    expect(refused.json).toEqual({ error: { code: "passkey_refused", message: "The passkey was not accepted; start again", request_id: refused.res.headers.get("x-request-id") } });
    expect(refused.res.headers.get("set-cookie")).toBeNull();
    expect((await audit(inv.workspaceId)).map((r) => r.action)).toContain("passkey.sign_in_failed");
    const unknown = await login(new SoftAuthenticator(origin), {}).catch((e: Error) => e);
    // A device with no passkey here has nothing to offer: the browser says so before the server is asked.
    expect(unknown).toBeInstanceOf(Error);
  });

  it("a sign-in answer whose response is not a credential is refused, and a body that is not JSON is a 400", async () => {
    const bad = await post("/app/auth/passkey/login/verify", { response: { id: "x" } });
    expect(bad.res.status).toBe(401);
    const res = await request("/app/auth/passkey/login/verify", { method: "POST", headers: { "content-type": "application/json", origin }, body: "{" });
    expect(res.status).toBe(400);
  });

  it("after sign-in only a dashboard path is offered as next, never another site", async () => {
    const inv = await invite();
    const device = new SoftAuthenticator(origin);
    await acceptWithPasskey(device, inv.token);
    expect((await login(device, {}, "/app/messages?status=failed")).json.next).toBe("/app/messages?status=failed");
    for (const next of ["https://evil.example/app", "//evil.example/app", "/app//evil.example", "/v1/messages"]) {
      expect((await login(device, {}, next)).json.next).toBe("/app");
    }
  });

  it("ten refused sign-ins for one person, from any addresses, hold off even a good passkey for that person only", async () => {
    const inv = await invite();
    const device = new SoftAuthenticator(origin);
    await acceptWithPasskey(device, inv.token);
    for (let i = 0; i < 10; i++) {
      ip = `198.19.${i}.${Math.floor(Math.random() * 256)}`;
      expect((await login(device, { uv: false })).res.status).toBe(401);
    }
    const held = await login(device);
    expect(held.res.status).toBe(429);
    expect(held.json.error.code).toBe("rate_limited");
    expect(Number(held.res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(held.res.headers.get("set-cookie")).toBeNull();
    const other = await invite();
    const theirs = new SoftAuthenticator(origin);
    await acceptWithPasskey(theirs, other.token);
    expect((await login(theirs)).res.status).toBe(200);
  });

  it("a ceremony request from a foreign Origin is refused before it runs", async () => {
    for (const path of ["/app/auth/passkey/login/options", "/app/auth/passkey/register/options"]) {
      const res = await post(path, {}, { origin: "https://evil.example" });
      expect(res.res.status).toBe(403);
      expect(res.json.error.code).toBe("origin_forbidden");
    }
  });
});

describe("a signed-in person's passkeys", () => {
  it("adds a passkey (session and CSRF token required), lists, renames and removes — never the last one", async () => {
    const inv = await invite();
    const first = new SoftAuthenticator(origin);
    const cookie = cookieOf((await acceptWithPasskey(first, inv.token, "Laptop")).res)!;
    const me = await (await request("/app/auth/session", { headers: { cookie } })).json();
    const who = { cookie, "x-csrf-token": me.csrf_token as string };

    expect((await post("/app/auth/passkey/register/options", {})).res.status).toBe(401);
    const noCsrf = await post("/app/auth/passkey/register/options", {}, { cookie });
    expect(noCsrf.res.status).toBe(403);
    expect(noCsrf.json.error.code).toBe("csrf_failed");

    const options = await post("/app/auth/passkey/register/options", {}, who);
    expect(options.res.status).toBe(200);
    expect(options.json.excludeCredentials.map((c: { id: string }) => c.id)).toEqual([first.credentials[0]!.id]);
    const phone = new SoftAuthenticator(origin);
    const added = await post("/app/auth/passkey/register/verify", { response: await phone.create(options.json), name: "Phone" }, who);
    expect(added.res.status).toBe(201);
    expect(added.json.passkey).toMatchObject({ name: "Phone" });
    expect(added.res.headers.get("set-cookie")).toBeNull();

    const list = await (await request("/app/passkeys", { headers: { cookie } })).json();
    expect(list.passkeys.map((k: { name: string }) => k.name)).toEqual(["Laptop", "Phone"]);
    expect(JSON.stringify(list)).not.toContain(first.credentials[0]!.id);

    // The security page's plain form: 303 back to it.
    const form = await request(`/app/passkeys/${added.json.passkey.id}/rename`, {
      method: "POST",
      headers: { origin, cookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: me.csrf_token, name: "Work phone" }).toString(),
    });
    expect(form.status).toBe(303);
    expect(form.headers.get("location")).toBe("/app/security");
    const tooLong = await post(`/app/passkeys/${added.json.passkey.id}/rename`, { name: "x".repeat(65) }, who);
    expect(tooLong.res.status).toBe(422);

    const laptop = list.passkeys[0].id;
    expect((await post(`/app/passkeys/${laptop}/delete`, {}, { cookie })).res.status).toBe(403);
    expect((await post(`/app/passkeys/${laptop}/delete`, {}, who)).json).toEqual({ id: laptop, removed: true });
    const last = await post(`/app/passkeys/${added.json.passkey.id}/delete`, {}, who);
    expect(last.res.status).toBe(409);
    expect(last.json.error.code).toBe("last_sign_in_method");
    // The remaining passkey still signs in; the removed one does not.
    expect((await login(phone)).res.status).toBe(200);
    expect((await login(first)).res.status).toBe(401);
    const actions = (await audit(inv.workspaceId)).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(["passkey.added", "passkey.renamed", "passkey.removed", "passkey.sign_in"]));
  });

  it("another person's passkey is not found", async () => {
    const inv = await invite();
    const cookie = cookieOf((await acceptWithPasskey(new SoftAuthenticator(origin), inv.token)).res)!;
    const [row] = await stack.owner`select p.id from passkeys p join users u on u.id = p.user_id where u.email = ${inv.email}`;
    const other = await signIn(stack);
    expect((await post(`/app/passkeys/${row!.id}/delete`, {}, signedIn(other))).res.status).toBe(404);
    expect((await post(`/app/passkeys/${row!.id}/rename`, { name: "mine" }, signedIn(other))).res.status).toBe(404);
    expect((await request("/app/passkeys", { headers: { cookie } })).status).toBe(200);
  });
});

describe("the passkey script", () => {
  it("is served from our origin as JavaScript that parses, under the dashboard CSP", async () => {
    const res = await request("/app/assets/passkey.js");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);
    const src = await res.text();
    expect(() => new Script(src)).not.toThrow();
    expect(src).toContain("navigator.credentials.create");
    expect(src).toContain("navigator.credentials.get");
  });
});

describe("secrets", () => {
  it("no challenge comes back in a later answer or reaches the log", async () => {
    const inv = await invite();
    const device = new SoftAuthenticator(origin);
    await acceptWithPasskey(device, inv.token);
    await login(device);
    await login(device, { uv: false });
    await login(device, { origin: "https://evil.example" });
    expect(challenges.length).toBeGreaterThan(3);
    const log = stack.logs.join("\n");
    const answers = laterBodies.join("\n");
    for (const c of challenges) {
      expect(log).not.toContain(c);
      expect(answers).not.toContain(c);
    }
  });
});
