import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey } from "../lib/apikeys/manage.js";
import { createTestStack, type TestStack } from "./support/stack.js";

/** GET /v1/audit-log: filters, keyset pages newest first, CSV and JSON Lines exports, the audit:read scope. */
let stack: TestStack;
let t: { workspaceId: string; key: string; keyId: string };
const auth = () => ({ authorization: `Bearer ${t.key}` });
beforeAll(async () => {
  stack = await createTestStack();
  t = await stack.tenant("AuditLog");
  // Three endpoints made and one changed by this key: four rows with this key as actor.
  for (const n of [1, 2, 3]) {
    const r = await stack.request("/v1/webhook-endpoints", { method: "POST", headers: { ...auth(), "content-type": "application/json", "user-agent": "audit-test/1" }, body: JSON.stringify({ url: `http://127.0.0.1:9/hook${n}`, events: ["message.sent"] }) });
    expect(r.status).toBe(201);
  }
});
afterAll(() => stack?.close());

const get = (q: string, headers: Record<string, string> = {}) => stack.request(`/v1/audit-log${q}`, { headers: { ...auth(), ...headers } });

describe("GET /v1/audit-log", () => {
  it("lists newest first with actor, ip, user agent, action, object, details and the chain fields, no secret", async () => {
    const res = await get("?action=webhook_endpoint.created");
    expect(res.status).toBe(200);
    const body = await res.json() as { data: Record<string, unknown>[]; next_cursor: string | null };
    expect(body.data).toHaveLength(3);
    const seqs = body.data.map((r) => r.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(body.data[0]).toMatchObject({ actor_type: "api_key", actor_id: t.keyId, ip: "203.0.113.7", user_agent: "audit-test/1", object_type: "webhook_endpoint", details: { url: "http://127.0.0.1:9/hook3" }, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(JSON.stringify(body)).not.toMatch(/whsec_|sk_/);
  });

  it("pages by cursor without repeats and filters by actor, object and time", async () => {
    const first = await (await get("?limit=2")).json() as { data: { seq: number; object_id: string }[]; next_cursor: string };
    expect(first.data).toHaveLength(2);
    const second = await (await get(`?limit=2&cursor=${first.next_cursor}`)).json() as { data: { seq: number }[] };
    expect(second.data[0]!.seq).toBeLessThan(first.data[1]!.seq);
    const byObject = await (await get(`?object_type=webhook_endpoint&object_id=${first.data[0]!.object_id}`)).json() as { data: unknown[] };
    expect(byObject.data).toHaveLength(1);
    expect((await (await get(`?actor=${t.keyId}`)).json() as { data: unknown[] }).data.length).toBeGreaterThanOrEqual(3);
    expect((await (await get("?actor=nobody")).json() as { data: unknown[] }).data).toEqual([]);
    expect((await (await get("?from=2999-01-01")).json() as { data: unknown[] }).data).toEqual([]);
    expect((await (await get("?to=2999-01-01")).json() as { data: unknown[] }).data.length).toBeGreaterThanOrEqual(3);
  });

  it("refuses a bad query with 422 validation_failed naming each field", async () => {
    const res = await get("?limit=0&from=yesterday&cursor=zzz");
    expect(res.status).toBe(422);
    const { error } = await res.json() as { error: { code: string; details: { field: string }[] } };
    expect(error.code).toBe("validation_failed");
    expect(error.details.map((d) => d.field).sort()).toEqual(["cursor", "from", "limit"]);
  });

  it("exports the filtered log as CSV and as JSON Lines, streamed", async () => {
    const csv = await get("?action=webhook_endpoint.created", { accept: "text/csv" });
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe("seq,created_at,actor_type,actor_id,action,object_type,object_id,ip,user_agent,details,prev_hash,hash");
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain("webhook_endpoint.created");
    const nd = await get("?action=webhook_endpoint.created", { accept: "application/x-ndjson" });
    expect(nd.headers.get("content-type")).toMatch(/^application\/x-ndjson/);
    const rows = (await nd.text()).trim().split("\n").map((l) => JSON.parse(l) as { action: string; hash: string });
    expect(rows).toHaveLength(3);
    expect(rows.every((r) => r.action === "webhook_endpoint.created" && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expect((await get("?from=nope", { accept: "text/csv" })).status).toBe(422);
  });

  it("needs audit:read: a key without it is 403 forbidden; another workspace's rows are never listed", async () => {
    const narrow = (await createApiKey(stack.services, t.workspaceId, "narrow", { actorType: "operator" }, { scopes: ["messages:read"] })).key;
    const res = await stack.request("/v1/audit-log", { headers: { authorization: `Bearer ${narrow}` } });
    expect(res.status).toBe(403);
    expect((await res.json() as { error: { code: string; details: { missing: string[] } } }).error).toMatchObject({ code: "forbidden", details: { missing: ["audit:read"] } });
    const other = await stack.tenant("Other");
    const theirs = await (await stack.request("/v1/audit-log?action=webhook_endpoint.created", { headers: { authorization: `Bearer ${other.key}` } })).json() as { data: unknown[] };
    expect(theirs.data).toEqual([]);
  });
});
