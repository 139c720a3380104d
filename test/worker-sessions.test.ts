import { describe, expect, it } from "vitest";
import { revokeSession } from "../lib/sessions/revoke.js";
import { signIn } from "./support/people-kit.js";
import { workerOnStack } from "./support/worker-on-stack.js";

/** Sessions through workerd (`npm run dev:worker`): the same cookie, CSRF and Origin rules as in Node. */
const w = workerOnStack();

describe("sessions in the Worker", () => {
  it("a session cookie is accepted; revoked from another process, it is refused on the next request", async () => {
    const who = await signIn(w.stack);
    const me = () => fetch(`${w.base}/app/auth/session`, { headers: { cookie: who.cookie } });
    const ok = await me();
    const body = (await ok.json()) as { user: { id: string }; csrf_token: string };
    expect(ok.status, JSON.stringify(body) + w.worker.output().slice(-2000)).toBe(200);
    expect(body.user.id).toBe(who.userId);
    expect(body.csrf_token).toBe(who.csrf);
    expect(ok.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);

    await revokeSession(w.stack.services, who.userId, who.sessionId);
    const refused = await me();
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("session_required");
  }, 60_000);

  it("the attempt limits run in the Worker too (their Lua script through Upstash's protocol): an unknown invitation link gets its 410, not an error", async () => {
    const res = await fetch(`${w.base}/app/invite/inv_${"Q".repeat(43)}`, { headers: { accept: "text/html" } });
    expect(res.status, w.worker.output().slice(-2000)).toBe(410);
  }, 60_000);

  it("a form post needs the allowed Origin and the csrf field; with both, sign-out revokes the session", async () => {
    const who = await signIn(w.stack);
    const form = (csrf: string, origin?: string) =>
      fetch(`${w.base}/app/auth/sign-out`, {
        method: "POST",
        redirect: "manual",
        headers: { cookie: who.cookie, "content-type": "application/x-www-form-urlencoded", ...(origin ? { origin } : {}) },
        body: new URLSearchParams({ csrf }).toString(),
      });
    expect((await form(who.csrf, "https://evil.example")).status).toBe(403);
    expect((await form("wrong", w.base)).status).toBe(403);
    const out = await form(who.csrf, w.base);
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/app/sign-in");
    expect((await fetch(`${w.base}/app/auth/session`, { headers: { cookie: who.cookie } })).status).toBe(401);
  }, 60_000);
});
