import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInvitation } from "../lib/people/invite.js";
import { pageClient, signedInBrowser, visibleText } from "./support/dashboard-kit.js";
import { signIn } from "./support/people-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";

// The dashboard's people pages: the session guard, sessions, members and invitations,
// switching workspaces, the security page. Numbers, messages and the rest: dashboard-pages.
const NOW = new Date("2030-06-01T20:00:00.000Z");
let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { clock: { now: () => NOW } });
});
afterAll(async () => {
  await stack?.close();
});

async function tenant() {
  const t = await stack.tenant("Dash");
  return { ...t, browser: await signedInBrowser(stack, { workspaceId: t.workspaceId }) };
}

describe("behind the session", () => {
  it("a page without a session goes to sign-in; a form without the CSRF token or from a foreign origin changes nothing", async () => {
    const t = await tenant();
    const anon = await pageClient(stack).get("/app/keys");
    expect(anon.status).toBe(303);
    expect(anon.headers.get("location")).toBe("/app/sign-in?next=%2Fapp%2Fkeys");
    const noCsrf = await t.browser.post("/app/keys", { name: "sneaky" }, { csrf: null });
    expect(noCsrf.status).toBe(403);
    expect(visibleText(noCsrf.html)).toContain("CSRF token");
    const wrongCsrf = await t.browser.post(`/app/keys/${t.keyId}/revoke`, {}, { csrf: "x".repeat(43) });
    expect(wrongCsrf.status).toBe(403);
    const foreign = await t.browser.post("/app/keys", { name: "sneaky" }, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    const [{ n }] = (await stack.owner`select count(*)::int as n from api_keys where workspace_id = ${t.workspaceId} and (name = 'sneaky' or revoked_at is not null)`) as unknown as [{ n: number }];
    expect(n).toBe(0);
    // Every page is under the dashboard's CSP: scripts and styles only from here (or with the nonce).
    const page = await t.browser.get("/app/keys");
    expect(page.headers.get("content-security-policy")).toMatch(/style-src 'self'/);
  });

  it("the sessions page lists this browser and another; signing the other out ends it on its next request", async () => {
    const t = await tenant();
    const other = await signedInBrowser(stack, { workspaceId: t.workspaceId, email: t.browser.who.email });
    const page = await t.browser.get("/app/sessions");
    expect(page.status).toBe(200);
    expect(page.html).toContain(`/app/sessions/${t.browser.who.sessionId}/revoke`);
    expect(page.html).toContain(`/app/sessions/${other.who.sessionId}/revoke`);
    expect(visibleText(page.html)).toContain("this browser");
    const revoked = await t.browser.post(`/app/sessions/${other.who.sessionId}/revoke`);
    expect(revoked.status).toBe(303);
    expect(revoked.headers.get("location")).toBe("/app/sessions");
    expect((await other.get("/app")).status).toBe(303);
    expect((await t.browser.get("/app")).status).toBe(200);
  });

  it("owners invite from the members page (the link shown once); agents see the members but cannot invite", async () => {
    const t = await tenant();
    const invited = await t.browser.post("/app/members/invitations", { email: "New.Person@Example.com", role: "agent" });
    expect(invited.status).toBe(201);
    expect(invited.headers.get("cache-control")).toBe("no-store");
    const link = /https?:\/\/[^<\s]+\/app\/invite\/inv_[A-Za-z0-9_-]+/.exec(invited.html)?.[0];
    expect(link).toBeDefined();
    const list = await t.browser.get("/app/members");
    expect(list.html).not.toContain(link!);
    expect(visibleText(list.html)).toContain("new.person@example.com agent");
    expect(visibleText(list.html)).toContain(`${t.browser.who.email} (you) — owner`);

    const agent = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "agent" });
    const seen = await agent.get("/app/members");
    expect(seen.status).toBe(200);
    expect(seen.html).not.toContain('action="/app/members/invitations"');
    expect((await agent.post("/app/members/invitations", { email: "x@example.com", role: "viewer" })).status).toBe(403);
    // An admin may not make an owner (the role is not offered, and not accepted).
    const admin = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "admin" });
    expect((await admin.get("/app/members")).html).not.toContain('<option value="owner"');
    expect((await admin.post("/app/members/invitations", { email: "boss@example.com", role: "owner" })).status).toBe(403);
  });

  it("a person in two workspaces switches between them; a workspace they are not in is refused", async () => {
    const t = await tenant();
    const second = await tenant();
    const both = await signedInBrowser(stack, { workspaceId: t.workspaceId });
    await signIn(stack, { workspaceId: second.workspaceId, email: both.who.email });
    const [a, b] = (await stack.owner<{ id: string; name: string }[]>`select id, name from workspaces where id in (${t.workspaceId}, ${second.workspaceId})`).sort((x, y) => (x.id === t.workspaceId ? -1 : y.id === t.workspaceId ? 1 : 0));
    const page = await both.get("/app");
    expect(page.html).toContain('action="/app/workspace"');
    expect(page.html).toContain(`<option value="${b!.id}">`);
    expect(visibleText(page.html)).toContain(`Overview · ${a!.name}`);
    const switched = await both.post("/app/workspace", { workspace_id: b!.id });
    expect(switched.status).toBe(303);
    const now = await both.get("/app");
    expect(visibleText(now.html)).toContain(`Overview · ${b!.name}`);
    const stranger = await tenant();
    expect((await both.post("/app/workspace", { workspace_id: stranger.workspaceId })).status).toBe(403);
    expect(visibleText((await both.get("/app")).html)).toContain(`Overview · ${b!.name}`);
  });
});

describe("security", () => {
  it("lists the person's own passkeys (names escaped) with rename and remove forms, and the add-a-passkey button", async () => {
    const t = await tenant();
    const other = await signedInBrowser(stack);
    const insert = (userId: string, name: string) =>
      stack.owner`insert into passkeys (user_id, credential_id, public_key, user_handle, name, aaguid, backup_eligible, backed_up, created_at, last_used_at)
        values (${userId}, ${crypto.randomUUID().replace(/-/g, "")}, ${Buffer.alloc(32, 1)}, ${"h".repeat(22)}, ${name}, ${crypto.randomUUID()}, true, true, '2030-05-01T10:00:00Z', '2030-06-01T19:00:00Z') returning id`;
    const [mine] = await insert(t.browser.who.userId, `Laptop <img src=x onerror=alert(1)>`);
    await insert(other.who.userId, "Someone else's key");
    const page = await t.browser.get("/app/security");
    expect(page.status).toBe(200);
    expect(page.html).not.toContain("<img src=x");
    const text = visibleText(page.html);
    expect(text).toContain("Laptop <img src=x onerror=alert(1)> 2030-05-01 10:00:00 UTC 2030-06-01 19:00:00 UTC synced to your account");
    expect(text).not.toContain("Someone else's key");
    expect(page.html).toContain(`action="/app/passkeys/${mine!.id}/rename"`);
    expect(page.html).toContain(`action="/app/passkeys/${mine!.id}/delete"`);
    expect(page.html).toContain(`data-passkey="register" data-csrf="${t.browser.who.csrf}"`);
    const nonce = /'nonce-([^']+)'/.exec(page.headers.get("content-security-policy") ?? "")![1];
    expect(page.html).toContain(`<script type="module" src="/app/assets/passkey.js" nonce="${nonce}">`);
  });

  it("renames and removes a passkey with the page's forms (303 back to the page), never the last way in", async () => {
    const t = await tenant();
    const add = (name: string) =>
      stack.owner<{ id: string }[]>`insert into passkeys (user_id, credential_id, public_key, user_handle, name, aaguid, backup_eligible, backed_up)
        values (${t.browser.who.userId}, ${crypto.randomUUID().replace(/-/g, "")}, ${Buffer.alloc(32, 1)}, ${"h".repeat(22)}, ${name}, ${crypto.randomUUID()}, false, false) returning id`;
    const [[a], [b]] = await Promise.all([add("Phone"), add("Old laptop")]);
    const renamed = await t.browser.post(`/app/passkeys/${a!.id}/rename`, { name: "Pixel phone" });
    expect(renamed.status).toBe(303);
    expect(renamed.headers.get("location")).toBe("/app/security");
    expect((await t.browser.post(`/app/passkeys/${b!.id}/delete`)).status).toBe(303);
    const page = visibleText((await t.browser.get("/app/security")).html);
    expect(page).toContain("Pixel phone");
    expect(page).not.toContain("Old laptop");
    expect(page).toContain("this device only");
    expect((await t.browser.post(`/app/passkeys/${a!.id}/delete`)).status).toBe(409);
    expect((await t.browser.post(`/app/passkeys/${a!.id}/rename`, { name: "x" }, { csrf: null })).status).toBe(403);
  });

  it("lists the person's linked Google accounts with unlink, and says how linking went", async () => {
    const t = await tenant();
    await stack.owner`insert into user_identities (user_id, issuer, subject, email, created_at) values (${t.browser.who.userId}, 'https://accounts.google.com', ${crypto.randomUUID()}, 'asha@gmail.example', '2030-05-02T08:00:00Z')`;
    const page = await t.browser.get("/app/security?google=linked");
    expect(visibleText(page.html)).toContain("The Google account is linked");
    expect(visibleText(page.html)).toContain("asha@gmail.example 2030-05-02 08:00:00 UTC —");
    expect(page.html).toMatch(/action="\/app\/auth\/google\/identities\/[0-9a-f-]{36}\/remove"/);
    expect(page.html).toContain('action="/app/auth/google/link"');
    expect(visibleText((await t.browser.get("/app/security?error=google_failed")).html)).toContain("Linking the Google account did not work");
    expect(visibleText((await t.browser.get("/app/security?error=%3Cb%3E")).html)).not.toContain("did not work");
  });
});

describe("invitation page", () => {
  it("offers a new person a passkey or Google; an unknown link is one 410 page; a signed-in person gets the join form", async () => {
    const t = await tenant();
    await stack.owner`update workspaces set name = ${"Acme <b>& Co</b>"} where id = ${t.workspaceId}`;
    const inv = await createInvitation(stack.services, { workspaceId: t.workspaceId, email: "invitee@example.com", role: "agent" }, { actorType: "operator", actorId: "test" });
    const token = inv.link.split("/").pop()!;
    const page = await pageClient(stack).get(`/app/invite/${token}`);
    expect(page.status).toBe(200);
    expect(page.html).not.toContain("<b>& Co</b>");
    const text = visibleText(page.html);
    expect(text).toContain("Join Acme <b>& Co</b>");
    expect(text).toContain("You are invited as agent . The invitation is for invitee@example.com and works once, until 2030-06-04 20:00:00 UTC.");
    expect(page.html).toContain(`data-passkey="register" data-invitation="${token}"`);
    expect(page.html).toContain(`href="/app/auth/google/start?invitation=${token}"`);
    for (const bad of [`inv_${"A".repeat(43)}`, "nonsense"]) {
      const gone = await pageClient(stack).get(`/app/invite/${bad}`);
      expect(gone.status).toBe(410);
      expect(visibleText(gone.html)).toContain("This invitation link is not valid");
    }
    const signedIn = await t.browser.get(`/app/invite/${token}`);
    expect(signedIn.html).toContain(`action="/app/invite/${token}/accept"`);
    expect(signedIn.html).toContain(`name="csrf" value="${t.browser.who.csrf}"`);
    expect(visibleText(signedIn.html)).toContain("sign in with that account to accept it");
  });
});

describe("refused forms", () => {
  const json = (t: Awaited<ReturnType<typeof tenant>>, path: string, body: object) =>
    stack.request(path, {
      method: "POST",
      headers: { cookie: t.browser.who.cookie, origin: stack.config.allowedOrigins[0]!, "x-csrf-token": t.browser.who.csrf, "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("a refused form post answers a page saying why, with a link back to its page; the same request by fetch keeps the JSON error", async () => {
    const t = await tenant();
    const agent = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "agent" });
    const refusedInvite = await agent.post("/app/members/invitations", { email: "x@example.com", role: "viewer" }, { from: "/app/members" });
    expect(refusedInvite.status).toBe(403);
    expect(refusedInvite.headers.get("content-type")).toMatch(/^text\/html/);
    expect(visibleText(refusedInvite.html)).toContain("The agent role may not do this (it needs members:write)");
    expect(refusedInvite.html).toContain('<a href="/app/members">Back</a>');

    const stranger = await tenant();
    const refusedSwitch = await t.browser.post("/app/workspace", { workspace_id: stranger.workspaceId }, { from: "/app/keys" });
    expect(refusedSwitch.status).toBe(403);
    expect(visibleText(refusedSwitch.html)).toContain("Not a member of that workspace");
    expect(refusedSwitch.html).toContain('<a href="/app/keys">Back</a>');

    const [only] = await stack.owner<{ id: string }[]>`insert into passkeys (user_id, credential_id, public_key, user_handle, name, aaguid, backup_eligible, backed_up)
      values (${t.browser.who.userId}, ${crypto.randomUUID().replace(/-/g, "")}, ${Buffer.alloc(32, 1)}, ${"h".repeat(22)}, 'Only key', ${crypto.randomUUID()}, false, false) returning id`;
    const lastKey = await t.browser.post(`/app/passkeys/${only!.id}/delete`, {}, { from: "/app/security" });
    expect(lastKey.status).toBe(409);
    expect(visibleText(lastKey.html)).toContain("This is your only way to sign in");
    // A Referer from elsewhere is not linked: back to the dashboard.
    const elsewhere = await t.browser.post("/app/workspace", { workspace_id: "nonsense" }, { from: "/v1/workspace" });
    expect(elsewhere.status).toBe(422);
    expect(elsewhere.html).toContain('<a href="/app">Back to the dashboard</a>');
    expect(await stack.owner`select 1 from passkeys where id = ${only!.id}`).toHaveLength(1);

    // fetch (JSON) callers: the one error shape, unchanged.
    const byFetch = await json(t, "/app/workspace", { workspace_id: stranger.workspaceId });
    expect(byFetch.status).toBe(403);
    expect(byFetch.headers.get("content-type")).toMatch(/^application\/json/);
    expect((await byFetch.json()).error).toMatchObject({ code: "forbidden", message: "Not a member of that workspace", request_id: expect.any(String) });
    const noSession = await stack.request("/app/workspace", { method: "POST", headers: { origin: stack.config.allowedOrigins[0]!, "content-type": "application/x-www-form-urlencoded" }, body: "workspace_id=x" });
    expect(noSession.status).toBe(401);
    expect(noSession.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await noSession.text()).toContain('<a href="/app/sign-in">Sign in</a>');
  });
});
