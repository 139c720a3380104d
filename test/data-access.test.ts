import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNodeServices } from "../dev/services.js";
import { purgeDataAccess } from "../lib/access/purge.js";
import { createApiKey } from "../lib/apikeys/manage.js";
import type { Services } from "../lib/context.js";
import { approveSupportGrant } from "../lib/support/approve.js";
import { requestSupportGrant } from "../lib/support/request.js";
import { signedInBrowser, type Browser } from "./support/dashboard-kit.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { workerOnStack } from "./support/worker-on-stack.js";

/**
 * Records of data access (lib/access, migration 0038): every authenticated read of
 * personal data leaves a data_access row (who, from where, which route and object, how
 * many rows, the status) before the answer leaves; writes leave none; the app role can
 * only add and read them; a record that cannot be written turns the read into a 503.
 */
let stack: TestStack;
let ws: { workspaceId: string; key: string; keyId: string };
let owner: Browser;
let contactId: string;

beforeAll(async () => {
  stack = await createTestStack();
  ws = await stack.tenant("Reads");
  owner = await signedInBrowser(stack, { workspaceId: ws.workspaceId, role: "owner" });
  const res = await api("/v1/contacts", { method: "POST", body: JSON.stringify({ wa_id: "919812345678", name: "Asha" }) });
  expect(res.status, res.text).toBe(201);
  contactId = res.json.id as string;
});
afterAll(() => stack?.close());

async function api(path: string, init: RequestInit = {}, key = ws.key, services: Services = stack.services, ip = "203.0.113.7") {
  const req = new Request(`http://sandesh.test${path}`, { ...init, headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });
  const res = await stack.app.fetch(req, { services, ip });
  const text = await res.text();
  return { status: res.status, text, json: (text ? JSON.parse(text) : {}) as Record<string, any>, headers: res.headers };
}

type Rec = { actor_type: string; actor_id: string; ip: string | null; method: string; route: string; object_id: string | null; result_count: number | null; status: number };
const records = (workspaceId = ws.workspaceId) =>
  stack.owner<Rec[]>`select actor_type, actor_id, ip, method, route, object_id, result_count, status from data_access where workspace_id = ${workspaceId} order by id`;
const count = async (workspaceId = ws.workspaceId) => (await records(workspaceId)).length;

describe("reads of personal data are recorded", () => {
  it("a key's reads of contacts and messages: actor, ip, route, object and count", async () => {
    const before = await count();
    expect((await api("/v1/contacts")).status).toBe(200);
    expect((await api(`/v1/contacts/${contactId}`, {}, ws.key, stack.services, "198.51.100.9")).status).toBe(200);
    expect((await api("/v1/messages")).status).toBe(200);
    const missing = await api("/v1/contacts/919812345678");
    expect(missing.status).toBe(404);
    const rows = (await records()).slice(before);
    expect(rows).toEqual([
      { actor_type: "api_key", actor_id: ws.keyId, ip: "203.0.113.7", method: "GET", route: "/v1/contacts", object_id: null, result_count: 1, status: 200 },
      { actor_type: "api_key", actor_id: ws.keyId, ip: "198.51.100.9", method: "GET", route: "/v1/contacts/:id", object_id: contactId, result_count: 1, status: 200 },
      { actor_type: "api_key", actor_id: ws.keyId, ip: "203.0.113.7", method: "GET", route: "/v1/messages", object_id: null, result_count: 0, status: 200 },
      // A refused id is not kept: it is whatever the caller typed (here a number).
      { actor_type: "api_key", actor_id: ws.keyId, ip: "203.0.113.7", method: "GET", route: "/v1/contacts/:id", object_id: null, result_count: 0, status: 404 },
    ]);
  });

  it("a member's reads on the dashboard (contacts, a contact, messages, the audit log)", async () => {
    const before = await count();
    for (const path of ["/app/contacts", `/app/contacts/${contactId}`, "/app/messages", "/app/audit"]) expect((await owner.get(path)).status, path).toBe(200);
    const rows = (await records()).slice(before);
    expect(rows.map((r) => [r.actor_type, r.actor_id, r.route, r.object_id, r.status])).toEqual([
      ["user", owner.who.userId, "/app/contacts", null, 200],
      ["user", owner.who.userId, "/app/contacts/:id", contactId, 200],
      ["user", owner.who.userId, "/app/messages", null, 200],
      ["user", owner.who.userId, "/app/audit", null, 200],
    ]);
    expect(rows.every((r) => r.ip === "203.0.113.7")).toBe(true);
    expect(rows[3]!.result_count).toBeGreaterThan(0);
  });

  it("a support grant's reads are recorded under the grant", async () => {
    const g = await requestSupportGrant(stack.services, ws.workspaceId, { operator: "ravi@sandesh.support", reason: "Missing delivery receipts" });
    await approveSupportGrant(stack.services, ws.workspaceId, g.id, 4, { actorType: "user", actorId: owner.who.userId });
    const before = await count();
    expect((await api("/v1/contacts", {}, g.token)).status).toBe(200);
    expect((await api("/v1/messages", {}, g.token)).status).toBe(200);
    const rows = (await records()).slice(before);
    expect(rows).toEqual([
      { actor_type: "support", actor_id: g.id, ip: "203.0.113.7", method: "GET", route: "/v1/contacts", object_id: null, result_count: 1, status: 200 },
      { actor_type: "support", actor_id: g.id, ip: "203.0.113.7", method: "GET", route: "/v1/messages", object_id: null, result_count: 0, status: 200 },
    ]);
  });

  it("a write is not a read record, nor is a read of something that is not personal data", async () => {
    const before = await count();
    expect((await api(`/v1/contacts/${contactId}`, { method: "PATCH", body: JSON.stringify({ name: "Asha K" }) })).status).toBe(200);
    expect((await api("/v1/templates")).status).toBe(200);
    expect((await api("/v1/workspace")).status).toBe(200);
    expect(await count()).toBe(before);
  });
});

describe("GET /v1/access-log", () => {
  it("pages newest first with a cursor and filters by actor, route and since; a bad query is a 422", async () => {
    for (let i = 0; i < 3; i++) expect((await api("/v1/contacts")).status).toBe(200);
    expect((await owner.get("/app/contacts")).status).toBe(200);
    const first = await api("/v1/access-log?limit=2&route=/v1/contacts");
    expect(first.status, first.text).toBe(200);
    expect(first.json.data).toHaveLength(2);
    expect(first.json.data[0]).toMatchObject({ route: "/v1/contacts", method: "GET", status: 200, at: expect.any(String) });
    expect(first.json.next_cursor).toEqual(expect.any(String));
    const second = await api(`/v1/access-log?limit=2&route=/v1/contacts&cursor=${first.json.next_cursor}`);
    expect(second.status).toBe(200);
    expect(Number(second.json.data[0].id)).toBeLessThan(Number(first.json.data[1].id));
    const mine = await api(`/v1/access-log?actor=${owner.who.userId}&limit=200`);
    expect(mine.json.data.length).toBeGreaterThanOrEqual(1);
    expect(mine.json.data.every((r: Rec) => r.actor_id === owner.who.userId)).toBe(true);
    const future = await api("/v1/access-log?since=2999-01-01");
    expect(future.json.data).toEqual([]);
    const bad = await api("/v1/access-log?since=yesterday&limit=0&cursor=zz");
    expect(bad.status).toBe(422);
    expect(bad.json.error.code).toBe("validation_failed");
    expect(bad.json.error.details.map((d: { field: string }) => d.field).sort()).toEqual(["cursor", "limit", "since"]);
  });

  it("needs audit:read: a key without it is refused", async () => {
    const narrow = (await createApiKey(stack.services, ws.workspaceId, "narrow", { actorType: "operator", actorId: "test" }, { scopes: ["contacts:read"] })).key;
    const refused = await api("/v1/access-log", {}, narrow);
    expect(refused.status).toBe(403);
    expect(refused.json.error.details.missing).toEqual(["audit:read"]);
  });

  it("another workspace sees none of these records, in the API or the dashboard", async () => {
    const other = await stack.tenant("Other");
    const list = await api("/v1/access-log?limit=200", {}, other.key);
    expect(list.status).toBe(200);
    // Its own request to list is the only record it can see: none of the first workspace's.
    expect(list.json.data.filter((r: Rec) => r.actor_id !== other.keyId)).toEqual([]);
    expect((await api(`/v1/contacts/${contactId}`, {}, other.key)).status).toBe(404);
    const otherOwner = await signedInBrowser(stack, { workspaceId: other.workspaceId, role: "owner" });
    const page = await otherOwner.get("/app/audit/reads");
    expect(page.status).toBe(200);
    expect(page.html).not.toContain(ws.keyId);
    expect(page.html).not.toContain(owner.who.userId);
  });

  it("the dashboard's reads page lists the workspace's reads", async () => {
    expect((await api(`/v1/contacts/${contactId}`, {}, ws.key, stack.services, "198.51.100.9")).status).toBe(200);
    const page = await owner.get(`/app/audit/reads?actor=${ws.keyId}`);
    expect(page.status).toBe(200);
    expect(page.html).toContain("/v1/contacts/:id");
    expect(page.html).toContain("198.51.100.9");
  });
});

describe("the records are append-only and the read waits for its record", () => {
  it("the app role cannot update or delete a record", async () => {
    const [priv] = await stack.owner`select has_table_privilege('sandesh_app', 'data_access', 'UPDATE') as u, has_table_privilege('sandesh_app', 'data_access', 'DELETE') as d, has_table_privilege('sandesh_app', 'data_access', 'TRUNCATE') as t, has_table_privilege('sandesh_app', 'data_access', 'INSERT') as i`;
    expect(priv).toEqual({ u: false, d: false, t: false, i: true });
    const app = stack.services.db.$client;
    await expect(app.begin((t) => t.unsafe(`select set_config('app.workspace_id', '${ws.workspaceId}', true); update data_access set status = 200`))).rejects.toMatchObject({ code: "42501" });
    await expect(app.begin((t) => t.unsafe(`select set_config('app.workspace_id', '${ws.workspaceId}', true); delete from data_access`))).rejects.toMatchObject({ code: "42501" });
    // Even the owner's maintenance role cannot rewrite a record: the trigger refuses updates.
    await expect(stack.owner`update data_access set status = 200 where workspace_id = ${ws.workspaceId}`).rejects.toMatchObject({ code: "42501" });
  });

  it("a read whose record cannot be written answers 503 and nothing of the record is kept", async () => {
    const t = await stack.tenant("Refused");
    await stack.owner.unsafe(`create function refuse_reads() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$`);
    await stack.owner.unsafe(`create trigger refuse_reads before insert on data_access for each row when (new.workspace_id = '${t.workspaceId}') execute function refuse_reads()`);
    try {
      const res = await api("/v1/contacts", {}, t.key);
      expect(res.status, res.text).toBe(503);
      expect(res.json.error.code).toBe("temporarily_unavailable");
      expect(res.text).not.toContain("refused");
      // Another workspace's read in the meantime is unaffected.
      expect((await api("/v1/contacts")).status).toBe(200);
    } finally {
      await stack.owner.unsafe(`drop trigger refuse_reads on data_access; drop function refuse_reads()`);
    }
    expect(await count(t.workspaceId)).toBe(0);
  });

  it("without a group commit (a Worker's request) each read is one insert of its own", async () => {
    const { accessWriter, ...rest } = stack.services;
    expect(accessWriter).toBeDefined();
    const worker: Services = rest;
    const before = await count();
    expect((await api(`/v1/contacts/${contactId}/data`, {}, ws.key, worker)).status).toBe(200);
    const rows = (await records()).slice(before);
    expect(rows).toEqual([{ actor_type: "api_key", actor_id: ws.keyId, ip: "203.0.113.7", method: "GET", route: "/v1/contacts/:id/data", object_id: contactId, result_count: 1, status: 200 }]);
  });

  it("reads at once go through the group commit together, each awaiting its own record", async () => {
    const own = createNodeServices(stack.config, { logger: stack.services.logger, dbMax: 2 });
    try {
      const before = await count();
      const answers = await Promise.all(Array.from({ length: 20 }, () => api("/v1/contacts", {}, ws.key, own)));
      expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(await count()).toBe(before + 20);
    } finally {
      await own.close();
    }
  });
});

describe("retention", () => {
  it("purges records older than the workspace keeps content, or 365 days", async () => {
    const kept = await stack.tenant("Kept");
    const short = await stack.tenant("Short");
    await stack.owner`update workspaces set message_retention_days = 30 where id = ${short.workspaceId}`;
    const seed = (w: string, daysAgo: number) =>
      stack.owner`insert into data_access (workspace_id, actor_type, actor_id, method, route, status, at) values (${w}, 'api_key', 'k', 'GET', '/v1/contacts', 200, now() - make_interval(days => ${daysAgo}))`;
    await seed(kept.workspaceId, 400);
    await seed(kept.workspaceId, 100);
    await seed(short.workspaceId, 40);
    await seed(short.workspaceId, 10);
    expect(await purgeDataAccess(stack.services)).toBeGreaterThanOrEqual(2);
    const left = await stack.owner<{ workspace_id: string; days: number }[]>`
      select workspace_id, round(extract(epoch from now() - at) / 86400)::int as days from data_access where workspace_id in (${kept.workspaceId}, ${short.workspaceId}) order by workspace_id, days`;
    expect(left.map((r) => [r.workspace_id, r.days]).sort()).toEqual([[kept.workspaceId, 100], [short.workspaceId, 10]].sort());
  });
});


describe("in the Worker (workerd, npm run dev:worker)", () => {
  const w = workerOnStack();

  it("a key's read is recorded by its own insert before the answer; a write leaves none", async () => {
    const t = await w.stack.tenant("Worker reads");
    const call = (path: string, init: RequestInit = {}) => fetch(`${w.base}${path}`, { ...init, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json" } });
    const made = await call("/v1/contacts", { method: "POST", body: JSON.stringify({ wa_id: "919800011122", name: "Ravi" }) });
    expect(made.status, w.worker.output().slice(-2000)).toBe(201);
    const id = ((await made.json()) as { id: string }).id;
    const read = await call(`/v1/contacts/${id}`);
    expect(read.status, w.worker.output().slice(-2000)).toBe(200);
    const rows = await w.stack.owner<Rec[]>`select actor_type, actor_id, ip, method, route, object_id, result_count, status from data_access where workspace_id = ${t.workspaceId} order by id`;
    expect(rows).toEqual([{ actor_type: "api_key", actor_id: t.keyId, ip: expect.any(String), method: "GET", route: "/v1/contacts/:id", object_id: id, result_count: 1, status: 200 }]);
    const log = await call("/v1/access-log");
    expect(log.status).toBe(200);
    expect(((await log.json()) as { data: Rec[] }).data.map((r) => r.route)).toEqual(["/v1/contacts/:id"]);
  }, 60_000);
});
