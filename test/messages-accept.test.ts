import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Clock } from "../lib/clock.js";
import { createTestStack, type TestStack } from "./support/stack.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import type { QueuePort } from "../lib/queue/port.js";
import { createNodeServices } from "../dev/services.js";
import { connectNumber } from "../lib/whatsapp/numbers.js";

// A frozen clock makes "per second" exact: every request below lands in the same instant.
let now = new Date("2026-11-23T10:00:00.000Z");
const clock: Clock = { now: () => now };

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { clock, localQueue: true });
});
afterAll(() => stack.close());

const HIGH = { apiKey: { limit: 100000, periodMs: 1000 }, ip: { limit: 100000, periodMs: 1000 }, workspace: { limit: 100000, periodMs: 1000 } };
const text = (to = "919876543210", body = "Namaste") => JSON.stringify({ to, type: "text", text: { body } });
const utility = (to: string) => JSON.stringify({ to, type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY" } });

/** The contact wrote to this number just now: free-form messages are allowed for 24 h. */
const openWindow = (workspaceId: string, numberId: string, waId: string) =>
  stack.owner`insert into customer_windows (workspace_id, whatsapp_number_id, wa_id, last_inbound_at) values (${workspaceId}, ${numberId}, ${waId}, ${now})
              on conflict (whatsapp_number_id, wa_id) do update set last_inbound_at = excluded.last_inbound_at`;

async function tenantWithNumber(opts: { throughput?: number; tier?: string } = {}) {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, HIGH);
  const n = await connectTestNumber(stack, t.workspaceId, opts);
  await openWindow(t.workspaceId, n.id, "919876543210");
  const send = (body: string, headers: Record<string, string> = {}) =>
    stack.request("/v1/messages", { method: "POST", body, headers: { authorization: `Bearer ${t.key}`, "content-type": "application/json", ...headers } });
  return { ...t, number: n, send };
}

const jobsFor = async (ids: string[]) =>
  Number((await stack.owner`select count(*)::int as n from sandesh_queue.job where name = 'send' and id = any(${ids}::uuid[])`)[0]!.n);

describe("POST /v1/messages", () => {
  it("accepts a text with 202 {id, status: queued}, writes the row and queues exactly one job", async () => {
    const t = await tenantWithNumber();
    const res = await t.send(text());
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: "queued" });
    const [row] = await stack.owner`select status, recipient, type, payload, whatsapp_number_id from messages where id = ${body.id}`;
    expect(row).toMatchObject({ status: "queued", recipient: "919876543210", type: "text", whatsapp_number_id: t.number.id });
    expect(row!.payload).toEqual({ to: "919876543210", type: "text", text: { body: "Namaste" } });
    expect(await jobsFor([body.id])).toBe(1);
  });

  it.each([
    [{ to: "12", type: "text", text: { body: "x" } }, "to"],
    [{ to: "919876543210", type: "text" }, "text"],
    [{ to: "919876543210", type: "fax", fax: {} }, "type"],
    [{ to: "919876543210", type: "image", image: { link: "ftp://files.example/x.png" } }, "image.link"],
    [{ to: "919876543210", type: "image", image: { id: "1479537139650973", link: "https://cdn.example/x.png" } }, "image"],
    [{ to: "919876543210", type: "template", template: { name: "Bad Name", language: { code: "en_US" } } }, "template.name"],
    [{ type: "text", text: { body: "x" } }, "to"],
  ])("refuses %j with 422 naming the field %s, and queues nothing", async (payload, field) => {
    const t = await tenantWithNumber();
    const res = await t.send(JSON.stringify(payload));
    expect(res.status).toBe(422);
    const err = (await res.json()).error;
    expect(err.code).toBe("validation_failed");
    expect(err.details.map((d: { field: string }) => d.field)).toContain(field);
    expect((await stack.owner`select count(*)::int as n from messages where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(0);
  });

  it("refuses a body that is not JSON with 400 invalid_json", async () => {
    const t = await tenantWithNumber();
    const res = await t.send("{not json");
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe("invalid_json");
  });

  it("needs `from` when the workspace has several numbers, and honours it", async () => {
    const t = await tenantWithNumber();
    const second = await connectTestNumber(stack, t.workspaceId);
    await openWindow(t.workspaceId, second.id, "919876543210");
    const res = await t.send(text());
    expect(res.status).toBe(422);
    expect((await res.json()).error.details).toEqual([{ field: "from", message: expect.any(String) }]);
    const ok = await t.send(JSON.stringify({ to: "919876543210", from: second.phone_number_id, type: "text", text: { body: "hi" } }));
    expect(ok.status).toBe(202);
    const [row] = await stack.owner`select whatsapp_number_id from messages where id = ${(await ok.json()).id}`;
    expect(row!.whatsapp_number_id).toBe(second.id);
  });

  it("100 concurrent sends with one Idempotency-Key make exactly one message and one job", async () => {
    const t = await tenantWithNumber();
    const body = text("919876543210", "once");
    const results = await Promise.all(Array.from({ length: 100 }, () => t.send(body, { "idempotency-key": "order-42" })));
    const statuses = results.map((r) => r.status);
    expect(statuses.every((s) => s === 202 || s === 409)).toBe(true);
    expect(statuses.filter((s) => s === 202).length).toBeGreaterThanOrEqual(1);
    const rows = await stack.owner`select id from messages where workspace_id = ${t.workspaceId}`;
    expect(rows).toHaveLength(1);
    expect(await jobsFor([rows[0]!.id])).toBe(1);
    const first = await results.find((r) => r.status === 202)!.text();
    // After it finished: the same response, byte for byte, marked as a replay.
    const again = await t.send(body, { "idempotency-key": "order-42" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(first);
  });

  it("the same Idempotency-Key with another body is 422 idempotency_key_reused", async () => {
    const t = await tenantWithNumber();
    expect((await t.send(text("919876543210", "a"), { "idempotency-key": "k1" })).status).toBe(202);
    const res = await t.send(text("919876543210", "b"), { "idempotency-key": "k1" });
    expect(res.status).toBe(422);
    expect((await res.json()).error.code).toBe("idempotency_key_reused");
  });

  it("idempotency keys are scoped to the workspace", async () => {
    const a = await tenantWithNumber();
    const b = await tenantWithNumber();
    const ra = await a.send(text(), { "idempotency-key": "shared" });
    const rb = await b.send(text(), { "idempotency-key": "shared" });
    expect([ra.status, rb.status]).toEqual([202, 202]);
    expect((await ra.json()).id).not.toBe((await rb.json()).id);
  });

  it("a sender quota of 10/s with 200 parallel sends accepts exactly 10; the rest get 429 with Retry-After", async () => {
    now = new Date("2026-11-23T11:00:00.000Z");
    const t = await tenantWithNumber({ throughput: 10 });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => t.send(utility(`91980000${String(i).padStart(4, "0")}`))));
    const accepted = results.filter((r) => r.status === 202);
    expect(accepted).toHaveLength(10);
    const limited = results.filter((r) => r.status === 429);
    expect(limited).toHaveLength(190);
    const err = (await limited[0]!.json()).error;
    expect(err.code).toBe("quota_sender_per_second");
    expect(Number(limited[0]!.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await stack.owner`select count(*)::int as n from messages where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(10);
    // A second later the window has moved on.
    now = new Date(now.getTime() + 1001);
    expect((await t.send(text())).status).toBe(202);
  });

  it("a refusal consumes nothing: the API-key limit refuses and the sender's quota is untouched", async () => {
    now = new Date("2026-11-23T12:00:00.000Z");
    const t = await tenantWithNumber({ throughput: 3 });
    await setLimits(stack, t.workspaceId, { ...HIGH, apiKey: { limit: 2, periodMs: 60_000 } });
    expect((await t.send(text())).status).toBe(202);
    expect((await t.send(text())).status).toBe(202);
    const refused = await t.send(text());
    expect(refused.status).toBe(429);
    expect((await refused.json()).error.code).toBe("rate_limited_api_key");
    // A second key of the same workspace has its own rate limit but shares the number's
    // quota: had the refused request taken a quota slot, this would be refused too.
    const { createApiKey } = await import("../lib/apikeys/manage.js");
    const k2 = await createApiKey(stack.services, t.workspaceId, "second", { actorType: "operator" });
    const send2 = () => stack.request("/v1/messages", { method: "POST", body: text(), headers: { authorization: `Bearer ${k2.key}` } });
    expect((await send2()).status).toBe(202);
    const over = await send2();
    expect((await over.json()).error.code).toBe("quota_sender_per_second");
  });

  it("the sender's daily quota refuses until the UTC day ends, then counts afresh", async () => {
    now = new Date("2026-11-23T23:59:00.000Z");
    const t = await tenantWithNumber({ throughput: 80 });
    await setLimits(stack, t.workspaceId, { ...HIGH, perNumberPerDay: 3 });
    for (let i = 0; i < 3; i++) {
      now = new Date(now.getTime() + 1000);
      expect((await t.send(text())).status).toBe(202);
    }
    now = new Date(now.getTime() + 1000);
    const over = await t.send(text());
    expect(over.status).toBe(429);
    expect((await over.json()).error.code).toBe("quota_sender_per_day");
    // 23:59:04 → the day ends in 56 s.
    expect(over.headers.get("retry-after")).toBe("56");
    now = new Date("2026-11-24T00:00:00.000Z");
    expect((await t.send(text())).status).toBe(202);
  });

  it("the messaging tier caps new recipients of templates in 24 h, not replies to known ones", async () => {
    now = new Date("2026-11-23T13:00:00.000Z");
    const t = await tenantWithNumber({ tier: "TIER_50" });
    const tpl = (to: string) => JSON.stringify({ to, type: "template", template: { name: "order_update", language: { code: "en_US" } } });
    for (let i = 0; i < 50; i++) {
      now = new Date(now.getTime() + 20);
      expect((await t.send(tpl(`9170000${String(i).padStart(5, "0")}`))).status).toBe(202);
    }
    now = new Date(now.getTime() + 20);
    const res = await t.send(tpl("917999999999"));
    expect(res.status).toBe(429);
    expect((await res.json()).error.code).toBe("quota_messaging_tier");
    now = new Date(now.getTime() + 20);
    expect((await t.send(tpl("917000000000"))).status).toBe(202); // already counted this window
  });

  it("a revoked key is refused by the gate on the very next send", async () => {
    const t = await tenantWithNumber();
    expect((await t.send(text())).status).toBe(202);
    const { revokeApiKey } = await import("../lib/apikeys/manage.js");
    await revokeApiKey(stack.services, t.workspaceId, t.keyId, { actorType: "operator" });
    const res = await t.send(text());
    expect(res.status).toBe(401);
  });

  it.each([
    ["in the transaction that writes the message (local queue)", (q: QueuePort): QueuePort => ({ ...q, insertSendsIn: async () => { throw new Error("queue down"); } })],
    ["after the message is written (QStash)", (q: QueuePort): QueuePort => ({ ...q, insertSendsIn: undefined, enqueueSend: async () => { throw new Error("queue down"); } })],
  ])("when the enqueue fails %s: 503, no row left, the reservation returned, and the same key works on retry", async (_where, broken) => {
    now = new Date("2026-11-23T14:00:00.000Z");
    const t = await tenantWithNumber({ throughput: 1 });
    const queue = stack.services.queue;
    stack.services.queue = broken(queue);
    let res: Response;
    try {
      res = await t.send(text(), { "idempotency-key": "retry-me" });
    } finally {
      stack.services.queue = queue;
    }
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("1");
    expect((await stack.owner`select count(*)::int as n from messages where workspace_id = ${t.workspaceId}`)[0]!.n).toBe(0);
    // Throughput 1/s: had the slot not been returned, this would be 429.
    const retry = await t.send(text(), { "idempotency-key": "retry-me" });
    expect(retry.status).toBe(202);
    const { id } = await retry.json();
    expect((await stack.owner`select count(*)::int as n from sandesh_queue.job where id = ${id}`)[0]!.n).toBe(1);
  });

  it("reconnecting a number in another process is honoured by the very next send (no stale sender_token_invalid)", async () => {
    const t = await tenantWithNumber();
    await stack.owner`update whatsapp_numbers set token_status = 'needs_new_token' where id = ${t.number.id}`;
    stack.services.caches.senders.delete(t.workspaceId);
    // This process now remembers the number as refused, twice over (cache warm, stamp checked).
    for (let i = 0; i < 2; i++) expect((await (await t.send(text())).json()).error.code).toBe("sender_token_invalid");
    const other = createNodeServices(stack.config); // a second process: its own pool, caches and Redis connection
    try {
      await connectNumber(other, { workspaceId: t.workspaceId, phoneNumberId: t.number.phone_number_id, wabaId: "100200300", token: "EAANewTokenAfterReconnect123456" }, { actorType: "operator" });
    } finally {
      await other.close();
    }
    expect((await t.send(text())).status).toBe(202);
  });

  it("a number connected in another process can send at once from a workspace remembered as having none", async () => {
    const t = await stack.tenant();
    await setLimits(stack, t.workspaceId, HIGH);
    const send = () => stack.request("/v1/messages", { method: "POST", body: utility("919876543210"), headers: { authorization: `Bearer ${t.key}` } });
    expect((await (await send()).json()).error.code).toBe("no_whatsapp_number");
    const other = createNodeServices(stack.config);
    try {
      await connectNumber(other, { workspaceId: t.workspaceId, phoneNumberId: `7${Date.now() % 1_000_000_000}`, wabaId: "100200300", token: "EAAFirstTokenOfThisNumber1234567" }, { actorType: "operator" });
    } finally {
      await other.close();
    }
    expect((await send()).status).toBe(202);
  });

  it("the local queue takes the job in the message's own transaction", async () => {
    expect(stack.services.queue.insertSendsIn).toBeTypeOf("function");
    const t = await tenantWithNumber();
    const res = await t.send(text());
    const { id } = await res.json();
    // The job was inserted with the row: same transaction id on both.
    const [row] = await stack.owner`select (select xmin::text from messages where id = ${id}) as m, (select xmin::text from sandesh_queue.job where id = ${id}) as j`;
    expect(row!.m).toBe(row!.j);
  });
});

describe("GET /v1/messages", () => {
  it("returns a message with its history; another workspace's id is a 404", async () => {
    const a = await tenantWithNumber();
    const b = await tenantWithNumber();
    const { id } = await (await a.send(text())).json();
    const get = (t: typeof a, mid: string) => stack.request(`/v1/messages/${mid}`, { headers: { authorization: `Bearer ${t.key}` } });
    const res = await get(a, id);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, status: "queued", to: "919876543210", from: a.number.phone_number_id, type: "text", wamid: null, error: null, history: [{ status: "queued", at: expect.any(String) }] });
    const other = await get(b, id);
    expect(other.status).toBe(404);
    expect((await other.json()).error.code).toBe("not_found");
    expect((await get(a, "not-a-uuid")).status).toBe(404);
  });

  it("lists newest first with an opaque cursor and filters", async () => {
    const t = await tenantWithNumber();
    await openWindow(t.workspaceId, t.number.id, "919800000001");
    await openWindow(t.workspaceId, t.number.id, "919800000002");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      now = new Date(now.getTime() + 1000);
      ids.push((await (await t.send(text(i % 2 ? "919800000001" : "919800000002"))).json()).id);
    }
    const list = (q: string) => stack.request(`/v1/messages${q}`, { headers: { authorization: `Bearer ${t.key}` } }).then((r) => r.json());
    const p1 = await list("?limit=2");
    expect(p1.data.map((m: { id: string }) => m.id)).toEqual([ids[4], ids[3]]);
    const p2 = await list(`?limit=2&cursor=${p1.next_cursor}`);
    expect(p2.data.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]]);
    const p3 = await list(`?limit=2&cursor=${p2.next_cursor}`);
    expect(p3.data.map((m: { id: string }) => m.id)).toEqual([ids[0]]);
    expect(p3.next_cursor).toBeNull();
    const filtered = await list("?to=919800000001&status=queued");
    expect(filtered.data.map((m: { id: string }) => m.id)).toEqual([ids[3], ids[1]]);
    const bad = await stack.request("/v1/messages?limit=500&status=lost", { headers: { authorization: `Bearer ${t.key}` } });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.details.map((d: { field: string }) => d.field)).toEqual(["limit", "status"]);
  });
});

describe("the sweep", () => {
  it("re-queues a message a crash left `queued` without a job, once, whoever runs it", async () => {
    const { requeueStuckMessages } = await import("../lib/jobs/sweep.js");
    const t = await tenantWithNumber();
    const id = crypto.randomUUID();
    // Committed, never enqueued (the process stopped in between), three minutes ago.
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, created_at)
      values (${id}, ${t.workspaceId}, ${t.number.id}, 'outbound', '919876543210', 'text', '{}', 'queued', now() - interval '3 minutes')`;
    expect(await jobsFor([id])).toBe(0);
    expect(await requeueStuckMessages(stack.services)).toBeGreaterThanOrEqual(1);
    expect(await requeueStuckMessages(stack.services)).toBeGreaterThanOrEqual(1); // still queued: offered again…
    expect(await jobsFor([id])).toBe(1); // …but the queue keeps one job per message
    // A fresh message is the accept path's business, not the sweep's.
    const fresh = (await (await t.send(text())).json()).id;
    const before = await jobsFor([fresh]);
    await requeueStuckMessages(stack.services);
    expect(await jobsFor([fresh])).toBe(before);
  });
});

describe("the customer-service window, remembered", () => {
  it("a window remembered as open is still refused once its 24 hours are over", async () => {
    now = new Date("2026-11-24T09:00:00.000Z");
    const t = await tenantWithNumber(); // window opened at `now`
    expect((await t.send(text())).status).toBe(202); // read from the table, then remembered
    now = new Date(now.getTime() + 23 * 3600 * 1000);
    expect((await t.send(text())).status).toBe(202); // from memory
    now = new Date(now.getTime() + 3600 * 1000);
    const late = await t.send(text());
    expect(late.status).toBe(422);
    expect((await late.json()).error.code).toBe("outside_customer_service_window");
  });
});
