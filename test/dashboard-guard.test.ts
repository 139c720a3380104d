import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptInvitation } from "../lib/people/accept.js";
import { admitAttempt, ATTEMPT_LIMITS, recordFailedAttempt } from "../lib/sessions/attempts.js";
import { SECURITY_HEADERS } from "../functions/middleware/security.js";
import { browser, signIn, uniqueEmail, type SignedIn } from "./support/people-kit.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

let stack: TestStack;
const PUBLIC = "https://dash.example.com";
const OTHER = "https://ops.example.com";
beforeAll(async () => {
  stack = await createTestStack({ PUBLIC_URL: PUBLIC, CORS_ORIGINS: `${OTHER}, http://localhost:5173` });
});
afterAll(() => stack.close());

let ipSeq = 10;
/** Each test its own client address, so per-address limits of one never reach another. */
const fromIp = (ip: string) => (path: string, init?: RequestInit) => Promise.resolve(stack.app.fetch(new Request(`http://sandesh.test${path}`, init), { services: stack.services, ip }));
const freshIp = () => `198.51.100.${ipSeq++}`;

const post = (path: string, who: SignedIn, body?: unknown, extra: Record<string, string> = {}) =>
  stack.request(path, { method: "POST", headers: browser(stack, who, { "x-csrf-token": who.csrf, "content-type": "application/json", ...extra }), ...(body ? { body: JSON.stringify(body) } : {}) });

describe("CORS and Origin", () => {
  it("CORS_ORIGINS must be origins: one line naming the variable otherwise", async () => {
    const { parseConfig } = await import("../lib/config.js");
    for (const bad of ["https://a.example/path", "ftp://a.example", "not a url"]) {
      const r = parseConfig({ ...TEST_SECRETS, DATABASE_URL: "postgres://x@h/d", REDIS_URL: "redis://h", CORS_ORIGINS: bad });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems).toEqual([expect.stringMatching(/^CORS_ORIGINS: must be comma-separated origins/)]);
    }
  });

  it("the allow-list is PUBLIC_URL's origin and CORS_ORIGINS", () => {
    expect(stack.config.allowedOrigins).toEqual([PUBLIC, OTHER, "http://localhost:5173"]);
  });

  it("an allowed origin's preflight and request get CORS with credentials; a foreign one gets no CORS header and a refused preflight", async () => {
    const pre = await stack.request("/app/auth/session", { method: "OPTIONS", headers: { origin: OTHER, "access-control-request-method": "POST", "access-control-request-headers": "x-csrf-token" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe(OTHER);
    expect(pre.headers.get("access-control-allow-credentials")).toBe("true");
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/X-CSRF-Token/);
    const who = await signIn(stack);
    const ok = await stack.request("/app/auth/session", { headers: { origin: OTHER, cookie: who.cookie } });
    expect(ok.headers.get("access-control-allow-origin")).toBe(OTHER);
    expect(ok.headers.get("vary")).toMatch(/Origin/);

    const evil = "https://evil.example";
    const refused = await stack.request("/app/auth/session", { method: "OPTIONS", headers: { origin: evil, "access-control-request-method": "POST" } });
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    const read = await stack.request("/app/auth/session", { headers: { origin: evil, cookie: who.cookie } });
    expect(read.headers.get("access-control-allow-origin")).toBeNull();
    expect(read.headers.get("access-control-allow-credentials")).toBeNull();
  });

  it("a state-changing request from a CORS_ORIGINS origin with the CSRF token passes", async () => {
    const who = await signIn(stack);
    const res = await stack.request("/app/sessions/revoke-others", { method: "POST", headers: { origin: OTHER, cookie: who.cookie, "x-csrf-token": who.csrf } });
    expect(res.status).toBe(200);
  });

  it("before sign-in too, a state-changing request needs an allowed Origin", async () => {
    const res = await stack.request("/app/auth/passkey/login/verify", { method: "POST", headers: { origin: "https://evil.example" } });
    expect(res.status).toBe(403);
    expect((await res.json()).error.code).toBe("origin_forbidden");
  });
});

describe("the dashboard's headers", () => {
  it("a CSP with a fresh nonce per response for its own scripts and styles; every other security header kept; no-store", async () => {
    const a = await stack.request("/app/auth/session");
    const b = await stack.request("/app/auth/session");
    const csp = a.headers.get("content-security-policy")!;
    const nonce = /'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
    expect(nonce).toHaveLength(24);
    expect(csp).toContain(`script-src 'self' 'nonce-${nonce}'`);
    expect(csp).toContain(`style-src 'self' 'nonce-${nonce}'`);
    expect(csp).toMatch(/default-src 'none'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/form-action 'self'/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    expect(b.headers.get("content-security-policy")).not.toContain(nonce);
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (k !== "Content-Security-Policy" && k !== "Referrer-Policy") expect(a.headers.get(k), k).toBe(v);
    // Not no-referrer: with it a browser sends `Origin: null` on the page's own forms. Still no Referer to other origins.
    expect(a.headers.get("referrer-policy")).toBe("same-origin");
    expect(a.headers.get("cache-control")).toBe("no-store");
    // Outside /app the global CSP still allows nothing.
    expect((await stack.request("/healthz")).headers.get("content-security-policy")).toBe(SECURITY_HEADERS["Content-Security-Policy"]);
  });
});

describe("rate limits on sign-in and invitation endpoints", () => {
  it("an address past its attempts on the sign-in endpoints gets 429 with Retry-After; another address does not", async () => {
    const ip = freshIp();
    const req = fromIp(ip);
    const headers = { origin: PUBLIC };
    for (let i = 0; i < ATTEMPT_LIMITS.sign_in.address; i++) expect((await req("/app/auth/passkey/login/options", { method: "POST", headers })).status).not.toBe(429);
    const res = await req("/app/auth/passkey/login/options", { method: "POST", headers });
    expect(res.status).toBe(429);
    expect((await res.json()).error.code).toBe("rate_limited");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await req("/app/auth/google/start")).status).toBe(429);
    expect((await fromIp(freshIp())("/app/auth/google/start")).status).not.toBe(429);
  });

  it("invitation links: per address", async () => {
    const req = fromIp(freshIp());
    for (let i = 0; i < ATTEMPT_LIMITS.invitation.address; i++) await req(`/app/invite/inv_${"x".repeat(43)}`);
    expect((await req(`/app/invite/inv_${"y".repeat(43)}`)).status).toBe(429);
  });

  it("per account: after its failures an account is refused from any address, and an account that does not exist is limited exactly alike", async () => {
    const real = (await signIn(stack)).email;
    const ghost = uniqueEmail("ghost");
    const outcomes: string[][] = [];
    for (const account of [real, ghost]) {
      for (let i = 0; i < ATTEMPT_LIMITS.sign_in.account; i++) await recordFailedAttempt(stack.services, "sign_in", account);
      const seen: string[] = [];
      for (const ip of [freshIp(), freshIp()]) seen.push(await admitAttempt(stack.services, "sign_in", ip, account).then(() => "ok", (e: { status: number; message: string }) => `${e.status} ${e.message}`));
      outcomes.push(seen);
    }
    expect(outcomes[0]).toEqual(["429 Too many attempts; try again later", "429 Too many attempts; try again later"]);
    expect(outcomes[1]).toEqual(outcomes[0]);
    await expect(admitAttempt(stack.services, "sign_in", freshIp(), uniqueEmail())).resolves.toBeUndefined();
    // Redis holds neither email.
    expect(JSON.stringify(await stack.services.redis.get(`people:sign_in:acct:${real}`))).toBe("null");
  });
});

describe("inviting from the dashboard", () => {
  it("an owner invites: 201 with the link, once; the invitee accepts it", async () => {
    const owner = await signIn(stack, { role: "owner" });
    const res = await post("/app/members/invitations", owner, { email: uniqueEmail(), role: "admin" });
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ role: "admin", link: expect.stringMatching(new RegExp(`^${PUBLIC}/app/invite/inv_`)) });
    const a = await acceptInvitation(stack.services, body.link.split("/").pop());
    expect(a).toMatchObject({ workspaceId: owner.workspaceId, role: "admin" });
    const [row] = await stack.owner`select actor_type, actor_id from audit_log where action = 'invitation.created' and object_id = ${body.id}`;
    expect(row).toEqual({ actor_type: "user", actor_id: owner.userId });
  });

  it("a form post answers with the page showing the link, escaped", async () => {
    const owner = await signIn(stack);
    const res = await stack.request("/app/members/invitations", {
      method: "POST",
      headers: browser(stack, owner, { "content-type": "application/x-www-form-urlencoded" }),
      body: new URLSearchParams({ csrf: owner.csrf, email: "o'brien+x@example.com", role: "agent" }).toString(),
    });
    expect(res.status).toBe(201);
    const page = await res.text();
    expect(page).toMatch(/\/app\/invite\/inv_[A-Za-z0-9_-]{43}/);
    expect(page).toContain("o&#39;brien+x@example.com");
  });

  it("the answer is the same for an email with an account and one without", async () => {
    const owner = await signIn(stack);
    const known = await signIn(stack);
    const shape = async (email: string) => {
      const res = await post("/app/members/invitations", owner, { email, role: "viewer" });
      const b = await res.json();
      return { status: res.status, keys: Object.keys(b).sort(), email: b.email };
    };
    const a = await shape(known.email);
    const b = await shape(uniqueEmail());
    expect(a.status).toBe(201);
    expect({ ...a, email: "" }).toEqual({ ...b, email: "" });
  });

  it.each([
    ["agent", "admin", 403],
    ["viewer", "viewer", 403],
    ["admin", "owner", 403],
    ["admin", "agent", 201],
  ] as const)("a %s inviting an %s: %i", async (role, invited, status) => {
    const who = await signIn(stack, { role });
    const res = await post("/app/members/invitations", who, { email: uniqueEmail(), role: invited });
    expect(res.status).toBe(status);
  });

  it("bad input: 422 naming the field; a body that is not JSON: 400", async () => {
    const owner = await signIn(stack);
    const bad = await post("/app/members/invitations", owner, { email: "x", role: "agent" });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.details).toEqual({ field: "email" });
    const raw = await stack.request("/app/members/invitations", { method: "POST", headers: browser(stack, owner, { "x-csrf-token": owner.csrf, "content-type": "application/json" }), body: "{" });
    expect(raw.status).toBe(400);
  });

  it("a withdrawn invitation's link is refused", async () => {
    const owner = await signIn(stack);
    const body = await (await post("/app/members/invitations", owner, { email: uniqueEmail(), role: "agent" })).json();
    expect((await post(`/app/members/invitations/${body.id}/revoke`, owner)).status).toBe(200);
    await expect(acceptInvitation(stack.services, body.link.split("/").pop())).rejects.toMatchObject({ code: "invitation_invalid" });
  });
});

describe("several workspaces", () => {
  it("a person switches to another of their workspaces, never to one they are not in", async () => {
    const who = await signIn(stack, { role: "owner" });
    const other = await stack.tenant("Second");
    const { createInvitation } = await import("../lib/people/invite.js");
    const inv = await createInvitation(stack.services, { workspaceId: other.workspaceId, email: who.email, role: "viewer" }, { actorType: "operator" });
    // Signed in, the person accepts and works in the new workspace from the next request.
    const accepted = await post(`/app/invite/${inv.token}/accept`, who);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ workspace_id: other.workspaceId, role: "viewer" });
    expect((await (await stack.request("/app/auth/session", { headers: { cookie: who.cookie } })).json()).workspace.id).toBe(other.workspaceId);
    expect((await post(`/app/invite/${inv.token}/accept`, who)).status).toBe(410);
    expect((await post("/app/workspace", who, { workspace_id: who.workspaceId })).status).toBe(200);
    expect((await post("/app/workspace", who, { workspace_id: other.workspaceId })).status).toBe(200);
    const me = await (await stack.request("/app/auth/session", { headers: { cookie: who.cookie } })).json();
    expect(me.workspace).toEqual({ id: other.workspaceId, role: "viewer" });
    expect(me.workspaces).toHaveLength(2);
    const stranger = await stack.tenant("Stranger");
    expect((await post("/app/workspace", who, { workspace_id: stranger.workspaceId })).status).toBe(403);
  });
});

describe("secrets", () => {
  it("session and invitation tokens are never in a log line or a later answer", async () => {
    const owner = await signIn(stack);
    const created = await (await post("/app/members/invitations", owner, { email: uniqueEmail(), role: "agent" })).json();
    const invToken = created.link.split("/").pop();
    // The invitation page, before and after its use: the access log names the route, not the path.
    const page = await stack.request(`/app/invite/${invToken}`, { headers: { accept: "text/html" } });
    expect(page.status).toBe(200);
    await acceptInvitation(stack.services, invToken);
    const later = [
      await (await stack.request(`/app/invite/${invToken}`, { headers: { accept: "text/html" } })).text(),
      await (await stack.request("/app/auth/session", { headers: { cookie: owner.cookie } })).text(),
      await (await post("/app/sessions/revoke-others", owner)).text(),
      await (await post("/app/auth/sign-out", owner)).text(),
      await (await stack.request("/app/auth/session", { headers: { cookie: owner.cookie } })).text(),
    ].join("\n");
    expect(later).not.toContain(owner.token);
    expect(later).not.toContain(invToken);
    const logs = stack.logs.join("\n");
    expect(logs.length).toBeGreaterThan(0);
    expect(logs).not.toContain(owner.token);
    expect(logs).not.toContain(owner.csrf);
    expect(logs).not.toContain(invToken);
    expect(logs).toContain('"route":"/app/invite/:token"');
    const audit = JSON.stringify(await stack.owner`select * from audit_log`);
    expect(audit).not.toContain(owner.token);
    expect(audit).not.toContain(invToken);
  });
});
