import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { declarationOf } from "../functions/middleware/permission.js";
import { AUTH_FAILURES_PER_MINUTE } from "../lib/apikeys/auth.js";
import { SUPPORT_PERMISSIONS } from "../lib/permissions/table.js";
import { setAllowlist } from "../lib/network/set-allowlist.js";
import { randomToken } from "../lib/people/tokens.js";
import { approveSupportGrant } from "../lib/support/approve.js";
import { requestSupportGrant } from "../lib/support/request.js";
import { signedInBrowser, visibleText, type Browser } from "./support/dashboard-kit.js";
import { runTs, type Ran } from "./support/spawn.js";
import { childEnv, createTestStack, type TestStack } from "./support/stack.js";

/**
 * Support access (issue 14): an operator asks for read access with a reason, an owner
 * approves it in the dashboard for a fixed time, reads under it are read-only, masked
 * and audited, and the grant ends by itself (the database's clock) or when revoked.
 */
let stack: TestStack;
let ws: { workspaceId: string; key: string };
let owner: Browser;
let contactId: string;
const NUMBER = "919876543210";
const tokens: string[] = [];

beforeAll(async () => {
  stack = await createTestStack();
  ws = await stack.tenant("Support");
  owner = await signedInBrowser(stack, { workspaceId: ws.workspaceId, role: "owner" });
  const res = await stack.request("/v1/contacts", {
    method: "POST",
    headers: { authorization: `Bearer ${ws.key}`, "content-type": "application/json" },
    body: JSON.stringify({ wa_id: NUMBER, name: "Asha" }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  contactId = ((await res.json()) as { id: string }).id;
});
afterAll(() => stack?.close());

const ask = async (token: string, path: string, init: RequestInit = {}, ip?: string) => {
  const req = new Request(`http://sandesh.test${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
  const res = await stack.app.fetch(req, { services: stack.services, ip: ip ?? "203.0.113.7" });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, any> };
};

async function request(hours?: number, workspaceId = ws.workspaceId) {
  const g = await requestSupportGrant(stack.services, workspaceId, { operator: "ravi@sandesh.support", reason: "Customer reports missing delivery receipts", ...(hours ? { hours } : {}) });
  tokens.push(g.token);
  return g;
}

const auditOf = (grantId: string) =>
  stack.owner<{ action: string; actor_type: string; actor_id: string | null; details: Record<string, unknown> }[]>`
    select action, actor_type, actor_id, details from audit_log where object_type = 'support_grant' and object_id = ${grantId} order by seq`;

describe("support access", () => {
  it("is refused while pending; once an owner approves it in the dashboard, reads run under it, masked and audited, and writes are refused", async () => {
    const g = await request();
    expect(g.token).toMatch(/^sgr_[A-Za-z0-9_-]{43}$/);
    const pending = await ask(g.token, "/v1/contacts");
    expect(pending.status).toBe(403);
    expect(pending.json.error).toMatchObject({ code: "support_grant_inactive", details: { state: "pending" }, request_id: expect.any(String) });

    const page = await owner.get("/app/support");
    expect(page.status).toBe(200);
    const text = visibleText(page.html);
    expect(text).toContain("ravi@sandesh.support");
    expect(text).toContain("Customer reports missing delivery receipts");
    expect(text).toContain("4 hours");
    const approved = await owner.post(`/app/support/${g.id}/approve`, { hours: "4" });
    expect(approved.status, visibleText(approved.html)).toBe(303);
    const [row] = await stack.owner<{ status: string; approved_hours: number; left: number }[]>`
      select status, approved_hours, extract(epoch from expires_at - approved_at)::int as left from support_grants where id = ${g.id}`;
    expect(row).toEqual({ status: "approved", approved_hours: 4, left: 4 * 3600 });

    const list = await ask(g.token, "/v1/contacts");
    expect(list.status, list.text).toBe(200);
    expect(list.text).not.toContain(NUMBER);
    expect(list.json.data[0].wa_id).toMatch(/^\+91 98•+ •+210$/);
    const one = await ask(g.token, `/v1/contacts/${contactId}`);
    expect(one.status).toBe(200);
    expect(one.json.wa_id).not.toContain(NUMBER);
    expect((await ask(g.token, "/v1/workspace")).json.id).toBe(ws.workspaceId);

    // Never a send, a change, an export, the audit log or whole numbers.
    const send = await ask(g.token, "/v1/messages", { method: "POST", body: JSON.stringify({ to: NUMBER, type: "text", text: { body: "hi" } }), headers: { "idempotency-key": "k1" } });
    expect(send.status).toBe(403);
    expect(send.json.error.code).toBe("forbidden");
    expect((await ask(g.token, `/v1/contacts/${contactId}`, { method: "DELETE" })).status).toBe(403);
    for (const path of ["/v1/audit-log", "/v1/contacts/export", `/v1/contacts/${contactId}/data`, "/v1/webhook-endpoints"]) {
      const r = await ask(g.token, path);
      expect(r.status, path).toBe(403);
      expect(r.json.error.code, path).toBe("forbidden");
      expect(r.json.error.message, path).toContain("support grant only reads");
    }
    expect(Number((await stack.owner`select count(*) as n from contacts where id = ${contactId}`)[0]!.n)).toBe(1);
    expect(Number((await stack.owner`select count(*) as n from messages where workspace_id = ${ws.workspaceId}`)[0]!.n)).toBe(0);

    const audit = await auditOf(g.id);
    expect(audit.map((a) => a.action)).toEqual([
      "support.requested",
      "support.approved",
      "support.read",
      "support.read",
      "support.read",
      "support.write_refused",
      "support.write_refused",
      "support.read",
      "support.read",
      "support.read",
      "support.read",
    ]);
    expect(audit[0]).toMatchObject({ actor_type: "operator", actor_id: "ravi@sandesh.support", details: { reason: "Customer reports missing delivery receipts", hours: 4 } });
    expect(audit[1]).toMatchObject({ actor_type: "user", actor_id: owner.who.userId, details: { hours: 4 } });
    expect(audit[2]!.details).toEqual({ method: "GET", route: "/v1/contacts", path: "/v1/contacts", status: 200 });
    expect(audit[3]!.details).toEqual({ method: "GET", route: "/v1/contacts/:id", path: `/v1/contacts/${contactId}`, status: 200 });
    expect(audit[5]!.details).toMatchObject({ method: "POST", path: "/v1/messages", status: 403 });
    expect(audit[7]!.details).toMatchObject({ path: "/v1/audit-log", status: 403 });

    // The owner sees what was read.
    const after = visibleText((await owner.get("/app/support")).html);
    expect(after).toContain(`GET /v1/contacts/${contactId}`);
    // The changes it tried are listed too, refused (403): every request under a grant, as the page says.
    expect(after).toMatch(/POST \/v1\/messages\s*403/);
    expect(after).toContain(`DELETE /v1/contacts/${contactId}`);
    expect(after).toMatch(/Active grants.*ravi@sandesh\.support/);
  });

  it("a support grant that expires is refused from then on, by the database's clock", async () => {
    const g = await request(1);
    // The shortest grant the code allows is 1 hour; the owner's page offers nothing shorter.
    const page = await owner.get("/app/support");
    expect(page.html).toContain(`action="/app/support/${g.id}/approve"`);
    expect((await owner.post(`/app/support/${g.id}/approve`, { hours: "1" })).status).toBe(303);
    expect((await ask(g.token, "/v1/contacts")).status).toBe(200);
    // Time moves on: what the check compares with now() is expires_at, set here as the table's owner.
    await stack.owner`update support_grants set expires_at = now() - interval '1 second' where id = ${g.id}`;
    const late = await ask(g.token, "/v1/contacts");
    expect(late.status).toBe(403);
    expect(late.json.error).toMatchObject({ code: "support_grant_inactive", message: "The support grant has expired", details: { state: "expired", grant_id: g.id } });
    expect((await ask(g.token, "/v1/workspace")).status).toBe(403);
    expect(visibleText((await owner.get("/app/support")).html)).toMatch(/Past grants.*ravi@sandesh\.support.*expired/);
    // Only requests the grant allowed are audited as reads: the refusals were never let in.
    const reads = (await auditOf(g.id)).filter((a) => a.action === "support.read");
    expect(reads).toHaveLength(1);
  });

  it("a revoked grant is refused on the very next request", async () => {
    const g = await request(24);
    expect((await owner.post(`/app/support/${g.id}/approve`, { hours: "24" })).status).toBe(303);
    expect((await ask(g.token, "/v1/contacts")).status).toBe(200);
    const revoked = await owner.post(`/app/support/${g.id}/revoke`);
    expect(revoked.status).toBe(303);
    const next = await ask(g.token, "/v1/contacts");
    expect(next.status).toBe(403);
    expect(next.json.error).toMatchObject({ code: "support_grant_inactive", details: { state: "revoked" } });
    expect((await auditOf(g.id)).map((a) => a.action)).toEqual(["support.requested", "support.approved", "support.read", "support.revoked"]);
    // Again: already revoked, nothing more recorded.
    expect((await owner.post(`/app/support/${g.id}/revoke`)).status).toBe(303);
    expect((await auditOf(g.id)).filter((a) => a.action === "support.revoked")).toHaveLength(1);
  });

  it("a denied request never reads", async () => {
    const g = await request();
    expect((await owner.post(`/app/support/${g.id}/deny`)).status).toBe(303);
    const r = await ask(g.token, "/v1/contacts");
    expect(r.status).toBe(403);
    expect(r.json.error.details.state).toBe("denied");
    // A decided request cannot be approved after all.
    const again = await owner.post(`/app/support/${g.id}/approve`, { hours: "4" });
    expect(again.status).toBe(409);
    expect(visibleText(again.html)).toContain("already denied");
  });

  it("a request not approved within 24 h lapses: approving it is 409 with nothing changed, the page shows it lapsed, its token never reads", async () => {
    const g = await request();
    // Time moves on: requested_at set back as the table's owner; the check reads the database's clock.
    await stack.owner`update support_grants set requested_at = now() - interval '23 hours 55 minutes' where id = ${g.id}`;
    expect((await owner.get("/app/support")).html).toContain(`action="/app/support/${g.id}/approve"`);
    await stack.owner`update support_grants set requested_at = now() - interval '24 hours 1 second' where id = ${g.id}`;
    const page = await owner.get("/app/support");
    expect(page.html).not.toContain(`action="/app/support/${g.id}/approve"`);
    expect(visibleText(page.html)).toMatch(/Past grants.*ravi@sandesh\.support Customer reports missing delivery receipts lapsed/);
    const late = await owner.post(`/app/support/${g.id}/approve`, { hours: "4" });
    expect(late.status).toBe(409);
    expect(visibleText(late.html)).toContain("The support request has lapsed: it was made more than 24 hours ago");
    await expect(approveSupportGrant(stack.services, ws.workspaceId, g.id, 4, { actorType: "user", actorId: owner.who.userId })).rejects.toMatchObject({
      status: 409,
      code: "support_grant_not_pending",
      details: { status: "lapsed" },
    });
    const [row] = await stack.owner<{ status: string; approved_at: Date | null; expires_at: Date | null }[]>`select status, approved_at, expires_at from support_grants where id = ${g.id}`;
    expect(row).toEqual({ status: "pending", approved_at: null, expires_at: null });
    expect((await auditOf(g.id)).map((a) => a.action)).toEqual(["support.requested"]);
    expect((await ask(g.token, "/v1/contacts")).status).toBe(403);
  });

  it("only an owner approves or denies; an admin may see and revoke; an agent or viewer sees nothing", async () => {
    const g = await request();
    const admin = await signedInBrowser(stack, { workspaceId: ws.workspaceId, role: "admin" });
    for (const verb of ["approve", "deny"]) {
      const r = await admin.post(`/app/support/${g.id}/${verb}`, { hours: "4" });
      expect(r.status, verb).toBe(403);
      expect(visibleText(r.html)).toContain("approvals:write");
    }
    expect((await stack.owner`select status from support_grants where id = ${g.id}`)[0]!.status).toBe("pending");
    expect((await ask(g.token, "/v1/contacts")).status).toBe(403);
    expect((await admin.get("/app/support")).status).toBe(200);
    for (const role of ["agent", "viewer"] as const) {
      const b = await signedInBrowser(stack, { workspaceId: ws.workspaceId, role });
      expect((await b.get("/app/support")).status, role).toBe(403);
      expect((await b.post(`/app/support/${g.id}/revoke`)).status, role).toBe(403);
    }
    expect((await admin.post(`/app/support/${g.id}/revoke`)).status).toBe(303);
    expect((await stack.owner`select status from support_grants where id = ${g.id}`)[0]!.status).toBe("revoked");
  });

  it("another workspace's grant is a 404 to this workspace's owner, and its token reads only its own workspace", async () => {
    const other = await stack.tenant("Other");
    const g = await request(4, other.workspaceId);
    for (const verb of ["approve", "deny", "revoke"]) {
      const r = await owner.post(`/app/support/${g.id}/${verb}`, { hours: "4" });
      expect(r.status, verb).toBe(404);
    }
    expect((await stack.owner`select status from support_grants where id = ${g.id}`)[0]!.status).toBe("pending");
    expect(visibleText((await owner.get("/app/support")).html)).not.toContain(g.id);
    const otherOwner = await signedInBrowser(stack, { workspaceId: other.workspaceId, role: "owner" });
    expect((await otherOwner.post(`/app/support/${g.id}/approve`, { hours: "4" })).status).toBe(303);
    // Its reads are of its own workspace: this workspace's contact is not found there.
    expect((await ask(g.token, `/v1/contacts/${contactId}`)).status).toBe(404);
    expect((await ask(g.token, "/v1/workspace")).json.id).toBe(other.workspaceId);
  });

  it("an owner may grant less time than asked, never more; bad requests are 422 and store nothing", async () => {
    const g = await request(4);
    const more = await owner.post(`/app/support/${g.id}/approve`, { hours: "72" });
    expect(more.status).toBe(422);
    expect(visibleText(more.html)).toContain("Approve for one of 1, 4 hours");
    expect((await owner.post(`/app/support/${g.id}/approve`, { hours: "zero" })).status).toBe(422);
    expect((await stack.owner`select status from support_grants where id = ${g.id}`)[0]!.status).toBe("pending");
    expect((await owner.post(`/app/support/${g.id}/approve`, { hours: "1" })).status).toBe(303);
    expect((await stack.owner`select approved_hours from support_grants where id = ${g.id}`)[0]!.approved_hours).toBe(1);

    const before = Number((await stack.owner`select count(*) as n from support_grants`)[0]!.n);
    for (const bad of [{ reason: "" }, { reason: "x".repeat(501) }, { reason: "nul\u0000" }, { hours: 73 }, { hours: 0 }, { operator: " " }]) {
      await expect(requestSupportGrant(stack.services, ws.workspaceId, { operator: "ravi", reason: "why", ...bad }), JSON.stringify(bad)).rejects.toMatchObject({ status: 422, code: "validation_failed" });
    }
    expect(Number((await stack.owner`select count(*) as n from support_grants`)[0]!.n)).toBe(before);
  });

  it("every /v1 read route answers an active grant as the support permissions say, never with a 500", async () => {
    const g = await request();
    await approveSupportGrant(stack.services, ws.workspaceId, g.id, 4, { actorType: "user", actorId: owner.who.userId });
    const routes = stack.app.routes.filter((r) => r.method === "GET" && r.path.startsWith("/v1/"));
    const seen = new Set<string>();
    let allowed = 0;
    for (const r of routes) {
      const d = declarationOf(r.handler);
      if (d?.kind !== "needs" || seen.has(r.path)) continue;
      seen.add(r.path);
      const answer = await ask(g.token, r.path.replace(/:(\w+)/g, () => randomUUID()));
      expect(answer.status, `${r.path}: ${answer.text.slice(0, 200)}`).toBeLessThan(500);
      if (d.permissions.every((p) => SUPPORT_PERMISSIONS.has(p))) {
        expect(answer.status, r.path).not.toBe(403);
        allowed++;
      } else {
        expect(answer.json.error, r.path).toMatchObject({ code: "forbidden", details: { missing: d.permissions.filter((p) => !SUPPORT_PERMISSIONS.has(p)) } });
      }
    }
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(seen.size - allowed).toBeGreaterThanOrEqual(5);
  });

  it("an unknown or malformed support token is a 401", async () => {
    const unknown = await ask(`sgr_${"A".repeat(43)}`, "/v1/contacts");
    expect(unknown.status).toBe(401);
    expect(unknown.json.error).toMatchObject({ code: "unauthorized", message: "The support token is not known" });
    expect((await ask("sgr_short", "/v1/contacts")).status).toBe(401);
  });

  it("guessed support tokens count against the address like unknown keys: past the limit 429, a token already seen valid still answers", async () => {
    const g = await request();
    const ip = "198.51.100.77";
    expect((await ask(g.token, "/v1/contacts", {}, ip)).json.error.details.state).toBe("pending");
    const guess = () => randomToken("sgr_");
    const answers: number[] = [];
    for (let i = 0; i < AUTH_FAILURES_PER_MINUTE; i++) answers.push((await ask(guess(), "/v1/contacts", {}, ip)).status);
    expect(answers).toEqual(answers.map(() => 401));
    const throttled = await ask(guess(), "/v1/contacts", {}, ip);
    expect(throttled.status).toBe(429);
    expect(throttled.json.error.code).toBe("rate_limited_ip");
    expect((await ask(g.token, "/v1/contacts", {}, ip)).json.error.details.state).toBe("pending");
  });

  it("the workspace's IP allow-list applies to support tokens as to keys", async () => {
    const t = await stack.tenant("Listed");
    const g = await request(4, t.workspaceId);
    await approveSupportGrant(stack.services, t.workspaceId, g.id, 4, { actorType: "user", actorId: owner.who.userId });
    await setAllowlist(stack.services, t.workspaceId, ["10.0.0.0/8"], "10.1.1.1", { actorType: "operator", actorId: "test" });
    const outside = await ask(g.token, "/v1/workspace");
    expect(outside.status).toBe(403);
    expect(outside.json.error.code).toBe("ip_not_allowed");
    expect((await ask(g.token, "/v1/workspace", {}, "10.2.3.4")).status).toBe(200);
  });

  it("the admin CLI requests, lists and revokes; the token is printed once and is in no listing", async () => {
    const admin = (args: string[]) => runTs("dev/admin/cli.ts", args, childEnv(stack));
    const json = (r: Ran) => {
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout);
    };
    const made = json(await admin(["support", "request", "--workspace", ws.workspaceId, "--operator", "meera@sandesh.support", "--reason", "Webhook deliveries failing", "--hours", "2", "--json"]));
    expect(made).toMatchObject({ id: expect.any(String), status: "pending", hours: 2, token: expect.stringMatching(/^sgr_/) });
    tokens.push(made.token);
    expect((await ask(made.token, "/v1/contacts")).json.error.details.state).toBe("pending");
    const listed = await admin(["support", "list", "--workspace", ws.workspaceId, "--json"]);
    expect(JSON.parse(listed.stdout).find((g: { id: string }) => g.id === made.id)).toMatchObject({ state: "pending", operator: "meera@sandesh.support", hours: 2 });
    expect(listed.stdout).not.toContain("sgr_");
    expect(json(await admin(["support", "revoke", "--grant", made.id, "--json"]))).toEqual({ id: made.id, revoked: true });
    expect(json(await admin(["support", "revoke", "--grant", made.id, "--json"]))).toEqual({ id: made.id, revoked: true, already_revoked: true });
    expect((await ask(made.token, "/v1/contacts")).json.error.details.state).toBe("revoked");

    const usage = await admin(["support", "request", "--workspace", ws.workspaceId, "--operator", "meera", "--hours", "100"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/--reason is required/);
  }, 240_000);

  it("no token appears in logs, the audit log, the dashboard or any answer after it was made", async () => {
    expect(tokens.length).toBeGreaterThan(5);
    const logs = stack.logs.join("\n");
    const audit = JSON.stringify(await stack.owner`select * from audit_log where object_type = 'support_grant'`);
    const page = (await owner.get("/app/support")).html;
    const hashes = (await stack.owner<{ token_hash: string }[]>`select token_hash from support_grants`).map((r) => r.token_hash);
    for (const t of tokens) {
      const secret = t.slice(4);
      expect(logs).not.toContain(secret);
      expect(audit).not.toContain(secret);
      expect(page).not.toContain(secret);
    }
    for (const h of hashes) {
      expect(audit).not.toContain(h);
      expect(page).not.toContain(h);
    }
  });
});
