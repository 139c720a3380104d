import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeServices } from "../dev/services.js";
import type { Clock } from "../lib/clock.js";
import { ABSOLUTE_MS, IDLE_MS } from "../lib/sessions/auth.js";
import { createSession } from "../lib/sessions/create.js";
import { listSessions } from "../lib/sessions/list.js";
import { revokeSession } from "../lib/sessions/revoke.js";
import { recordSignInFailure } from "../lib/sessions/sign-in-failure.js";
import { browser, sessionFor, signIn } from "./support/people-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

let offsetMs = 0;
const clock: Clock = { now: () => new Date(Date.now() + offsetMs) };

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { clock });
});
afterAll(() => stack.close());

const me = (who: { cookie: string }) => stack.request("/app/auth/session", { headers: { cookie: who.cookie } });
const sha256 = (x: string) => createHash("sha256").update(x).digest("hex");

describe("sessions", () => {
  it("a sign-in makes a new session: a 32-byte random token in a __Host- cookie, only its SHA-256 stored", async () => {
    const who = await signIn(stack);
    const again = await createSession(stack.services, { userId: who.userId, method: "passkey", userVerified: true });
    expect(again.session.sessionId).not.toBe(who.sessionId);
    expect(again.token).not.toBe(who.token);
    expect(again.session.csrfToken).not.toBe(who.csrf);
    expect(again.token).toMatch(/^ses_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(again.token.slice(4), "base64url")).toHaveLength(32);
    expect(again.setCookie).toBe(`__Host-sandesh_session=${again.token}; Max-Age=${ABSOLUTE_MS / 1000}; Path=/; HttpOnly; Secure; SameSite=Lax`);
    const rows = await stack.owner`select id, token_hash from sessions where user_id = ${who.userId} order by created_at`;
    expect(rows.map((r) => r.token_hash)).toEqual([sha256(who.token), sha256(again.token)]);
    const dump = JSON.stringify(await stack.owner`select * from sessions`);
    expect(dump).not.toContain(who.token);
    expect(dump).not.toContain(again.token);
  });

  it("the cookie names the person, the workspace, the role and the CSRF token", async () => {
    const who = await signIn(stack, { role: "admin" });
    const res = await me(who);
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ user: { id: who.userId, email: who.email }, workspace: { id: who.workspaceId, role: "admin" }, csrf_token: who.csrf });
    expect(JSON.stringify(body)).not.toContain(who.token);
  });

  it.each([
    ["no cookie", undefined],
    ["a malformed cookie", "__Host-sandesh_session=nope"],
    ["an unknown token", `__Host-sandesh_session=ses_${"A".repeat(43)}`],
  ])("%s: 401 session_required in the error shape; a page request goes to sign-in", async (_, cookie) => {
    const res = await stack.request("/app/auth/session", cookie ? { headers: { cookie } } : {});
    expect(res.status).toBe(401);
    const body = await res.json();
    expect(body.error).toMatchObject({ code: "session_required", request_id: res.headers.get("x-request-id") });
    const page = await stack.request("/app/auth/session", { headers: { accept: "text/html", ...(cookie ? { cookie } : {}) } });
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/app/sign-in?next=%2Fapp%2Fauth%2Fsession");
  });

  it("revoked in another process: refused on the very next request here", async () => {
    const who = await signIn(stack);
    expect((await me(who)).status).toBe(200);
    expect((await me(who)).status).toBe(200);
    const other = createNodeServices(stack.config); // a second process: its own pool and Redis connection
    try {
      await revokeSession(other, who.userId, who.sessionId);
    } finally {
      await other.close();
    }
    const res = await me(who);
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("session_required");
    expect(res.headers.get("set-cookie")).toMatch(/^__Host-sandesh_session=; Max-Age=0; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });

  it("idle for 12 hours: expired; used within them, it lives on", async () => {
    const who = await signIn(stack);
    try {
      offsetMs = IDLE_MS - 60_000;
      expect((await me(who)).status).toBe(200); // seen: the idle clock starts again
      offsetMs = 2 * IDLE_MS - 120_000;
      expect((await me(who)).status).toBe(200);
      offsetMs = 3 * IDLE_MS;
      const res = await me(who);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe("session_expired");
    } finally {
      offsetMs = 0;
    }
  });

  it("seven days after sign-in: expired, however busy", async () => {
    const who = await signIn(stack);
    try {
      for (let t = 0; t < ABSOLUTE_MS; t += IDLE_MS / 2) {
        offsetMs = t;
        expect((await me(who)).status, `at ${t / 3600_000} h`).toBe(200);
      }
      offsetMs = ABSOLUTE_MS;
      const res = await me(who);
      expect(res.status).toBe(401);
      expect((await res.json()).error.code).toBe("session_expired");
    } finally {
      offsetMs = 0;
    }
  });

  it("sign-out revokes the session server-side: the same cookie is refused afterwards", async () => {
    const who = await signIn(stack);
    const res = await stack.request("/app/auth/sign-out", { method: "POST", headers: browser(stack, who, { "x-csrf-token": who.csrf }) });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/^__Host-sandesh_session=; Max-Age=0/);
    expect((await me(who)).status).toBe(401);
    const [row] = await stack.owner`select revoked_reason from sessions where id = ${who.sessionId}`;
    expect(row!.revoked_reason).toBe("sign_out");
  });

  it("a sign-out form without JavaScript: the csrf field, then 303 to sign-in", async () => {
    const who = await signIn(stack);
    const res = await stack.request("/app/auth/sign-out", {
      method: "POST",
      headers: browser(stack, who, { "content-type": "application/x-www-form-urlencoded" }),
      body: new URLSearchParams({ csrf: who.csrf }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/app/sign-in");
    expect((await me(who)).status).toBe(401);
  });

  it("revoke one session, then all others; the one asking stays", async () => {
    const a = await signIn(stack);
    const b = await sessionFor(stack, a.userId, a.email, a.workspaceId, { userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1" });
    const c = await sessionFor(stack, a.userId, a.email, a.workspaceId);
    const d = await sessionFor(stack, a.userId, a.email, a.workspaceId);
    const one = await stack.request(`/app/sessions/${b.sessionId}/revoke`, { method: "POST", headers: browser(stack, a, { "x-csrf-token": a.csrf }) });
    expect(one.status).toBe(200);
    expect((await me(b)).status).toBe(401);
    expect((await me(c)).status).toBe(200);
    const rest = await stack.request("/app/sessions/revoke-others", { method: "POST", headers: browser(stack, a, { "x-csrf-token": a.csrf }) });
    expect(await rest.json()).toEqual({ revoked: 2 });
    expect((await me(c)).status).toBe(401);
    expect((await me(d)).status).toBe(401);
    expect((await me(a)).status).toBe(200);
    const audit = await stack.owner`select action, details from audit_log where workspace_id = ${a.workspaceId} and object_type = 'session' order by id`;
    expect(audit.map((r) => r.action)).toEqual(["session.created", "session.created", "session.created", "session.created", "session.revoked", "session.revoked"]);
  });

  it("the sessions list: device from the user agent, address, created, last seen; live sessions only, the current one marked", async () => {
    const a = await signIn(stack);
    const phone = await sessionFor(stack, a.userId, a.email, a.workspaceId, { userAgent: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1" });
    const gone = await sessionFor(stack, a.userId, a.email, a.workspaceId);
    await revokeSession(stack.services, a.userId, gone.sessionId);
    await signIn(stack); // someone else's
    const list = await listSessions(stack.services, a.userId, a.sessionId);
    expect(list.map((x) => [x.id, x.device, x.current])).toEqual([
      [phone.sessionId, "Safari on iOS", false],
      [a.sessionId, "Firefox on Linux", true],
    ]);
    expect(list[0]).toMatchObject({ ip: "203.0.113.7", method: "passkey", createdAt: expect.any(Date), lastSeenAt: expect.any(Date) });
  });

  it("a member removed from the workspace keeps the session but no workspace or role in it", async () => {
    const who = await signIn(stack, { role: "admin" });
    await stack.owner`delete from memberships where user_id = ${who.userId}`;
    const body = await (await me(who)).json();
    expect(body.workspace).toBeNull();
    const res = await stack.request("/app/members/invitations", { method: "POST", headers: browser(stack, who, { "x-csrf-token": who.csrf, "content-type": "application/json" }), body: JSON.stringify({ email: "a@example.com", role: "agent" }) });
    expect(res.status).toBe(403);
  });

  it("a failed sign-in is in the audit log of each of the person's workspaces, and in the log for an unknown one", async () => {
    const who = await signIn(stack);
    await recordSignInFailure(stack.services, { method: "passkey", reason: "assertion_invalid", userId: who.userId, ip: "198.51.100.9" });
    await recordSignInFailure(stack.services, { method: "google", reason: "no_account" });
    const [row] = await stack.owner`select action, ip, details from audit_log where workspace_id = ${who.workspaceId} and action = 'sign_in.failed'`;
    expect(row).toMatchObject({ ip: "198.51.100.9", details: { method: "passkey", reason: "assertion_invalid" } });
    expect(stack.logs.some((l) => l.includes('"sign_in.failed"') && l.includes('"no_account"'))).toBe(true);
  });

  it("another person's session cannot be revoked: 404, and it lives on", async () => {
    const a = await signIn(stack);
    const b = await signIn(stack);
    const res = await stack.request(`/app/sessions/${b.sessionId}/revoke`, { method: "POST", headers: browser(stack, a, { "x-csrf-token": a.csrf }) });
    expect(res.status).toBe(404);
    expect((await me(b)).status).toBe(200);
  });
});

describe("requests from browsers", () => {
  it.each([
    ["no CSRF token", {}],
    ["a wrong CSRF token", { "x-csrf-token": "x".repeat(43) }],
  ])("a state-changing request with %s is refused 403 csrf_failed, and changes nothing", async (_, extra) => {
    const who = await signIn(stack);
    const res = await stack.request("/app/auth/sign-out", { method: "POST", headers: browser(stack, who, extra) });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("csrf_failed");
    expect((await me(who)).status).toBe(200);
  });

  it("another session's CSRF token does not do", async () => {
    const a = await signIn(stack);
    const b = await signIn(stack);
    const res = await stack.request("/app/auth/sign-out", { method: "POST", headers: browser(stack, a, { "x-csrf-token": b.csrf }) });
    expect(res.status).toBe(403);
  });

  it.each([
    ["no Origin", undefined],
    ["a foreign Origin", "https://evil.example"],
    ["a null Origin", "null"],
  ])("a state-changing request with %s is refused 403 origin_forbidden, even with the right CSRF token", async (_, origin) => {
    const who = await signIn(stack);
    const res = await stack.request("/app/auth/sign-out", { method: "POST", headers: { cookie: who.cookie, "x-csrf-token": who.csrf, ...(origin ? { origin } : {}) } });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("origin_forbidden");
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect((await me(who)).status).toBe(200);
  });
});
