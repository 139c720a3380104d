import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBroadcast } from "../lib/broadcasts/run.js";
import { broadcastTenant, seedContacts, TEMPLATE } from "./support/broadcast-kit.js";
import { eventually } from "./support/eventually.js";
import { localRig, type QueueRig } from "./support/queue-harness.js";

let rig: QueueRig;
beforeAll(async () => {
  rig = await localRig(3);
}, 60_000);
afterAll(() => rig?.close());

const CARD = "category,country_code,price\nMARKETING,91,0.0107\nMARKETING,1,0.025\nUTILITY,91,0.0014\n";

describe("broadcast estimate, counts, cost, the failed-messages report and events", () => {
  it("imports a rate card as CSV, and names each bad line", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    const put = await t.call("PUT", "/v1/rate-card", CARD, { "content-type": "text/csv" });
    expect(put.status).toBe(200);
    expect(put.json.data).toEqual([
      { category: "MARKETING", country_code: "1", price: "0.025", currency: "USD" },
      { category: "MARKETING", country_code: "91", price: "0.0107", currency: "USD" },
      { category: "UTILITY", country_code: "91", price: "0.0014", currency: "USD" },
    ]);
    const bad = await t.call("PUT", "/v1/rate-card", "category,country_code,price\nMARKETING,91,cheap\nPROMO,44,1\n", { "content-type": "text/csv" });
    expect(bad.status).toBe(422);
    expect(bad.json.error.details).toEqual([
      { field: "line 2.price", message: expect.any(String) },
      { field: "line 3.category", message: expect.any(String) },
    ]);
    // Refused as a whole: the card is unchanged.
    expect((await t.call("GET", "/v1/rate-card")).json.data).toHaveLength(3);
  });

  it("estimates recipients after skips, the time at the number's throughput within its tier, and the cost by the rate card", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox, { throughput: 20, tier: "TIER_50" });
    await t.call("PUT", "/v1/rate-card", CARD, { "content-type": "text/csv" });
    await seedContacts(rig.stack.owner, t.workspaceId, 60, { tag: "e" });
    await seedContacts(rig.stack.owner, t.workspaceId, 2, { tag: "e", optedOut: true });
    await seedContacts(rig.stack.owner, t.workspaceId, 3, { tag: "e", optIn: false });
    const { json } = await t.call("POST", "/v1/broadcasts", { name: "e", template: TEMPLATE, audience: { tag: "e" }, send_at: new Date(Date.now() + 3600_000).toISOString() });
    const est = await t.call("GET", `/v1/broadcasts/${json.id}/estimate`);
    expect(est.status).toBe(200);
    expect(est.json).toMatchObject({
      recipients: 60,
      skipped: { opted_out: 2, no_marketing_opt_in: 3, invalid_number: 0, missing_value: 0 },
      throughput_mps: 20,
      messaging_tier: "TIER_50",
      tier_room: 50,
      beyond_tier: 10,
      later_windows: 1,
      duration_seconds: 3,
      cost: { category: "MARKETING", currency: "USD", amount: "0.642", unpriced: 0 },
    });
  });

  it("recipients beyond the messaging tier wait for the next window, and the counts say so", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox, { tier: "TIER_50" });
    await seedContacts(rig.stack.owner, t.workspaceId, 55, { tag: "tier" });
    const { json } = await t.call("POST", "/v1/broadcasts", { name: "tier", template: TEMPLATE, audience: { tag: "tier" } });
    const b = await eventually(async () => (await t.call("GET", `/v1/broadcasts/${json.id}`)).json, (x) => x.counts.sent === 50 && x.counts.queued === 5, 30_000);
    expect(b.status).toBe("running");
    expect(b.counts).toMatchObject({ targeted: 55, waiting_for_tier: 5 });
    const [w] = await rig.stack.owner<{ n: number }[]>`select count(*)::int as n from messages where broadcast_id = ${json.id} and not_before > now() + interval '23 hours'`;
    expect(w!.n).toBe(5);
    // One tier for broadcasts and single sends: the gate counts the broadcast's 50.
    const single = await t.call("POST", "/v1/messages", { to: "919811117777", type: "template", template: { name: "order_update", language: { code: "en_US" }, category: "UTILITY" } });
    expect(single.status).toBe(429);
    expect(single.json.error.code).toBe("quota_messaging_tier");
    // One watch at a time: more runs of the same broadcast (the sweep, a duplicated job) start no second one.
    const pending = async () => (await rig.stack.owner<{ n: number }[]>`select count(*)::int as n from sandesh_queue.job where name = 'broadcast' and state = 'created' and data->>'broadcastId' = ${json.id}`)[0]!.n;
    await eventually(pending, (n) => n === 1, 10_000);
    for (let i = 0; i < 3; i++) await runBroadcast(rig.stack.services, { broadcastId: json.id, workspaceId: t.workspaceId });
    expect(await pending()).toBe(1);
  }, 60_000);

  it("counts failures by Meta's code, reports each failed recipient (JSON and CSV), prices what Meta billed, and forwards its events", async () => {
    const t = await broadcastTenant(rig.stack, rig.sandbox);
    await t.call("PUT", "/v1/rate-card", CARD, { "content-type": "text/csv" });
    const hook = await t.call("POST", "/v1/webhook-endpoints", { url: "https://hooks.example.com/sandesh" });
    expect(hook.status).toBe(201);
    const ok = await seedContacts(rig.stack.owner, t.workspaceId, 8, { tag: "r" });
    // The sandbox fails a recipient ending in 0026 with 131026 (undeliverable).
    const [bad] = await rig.stack.owner<{ id: string }[]>`insert into contacts (workspace_id, wa_id, name, tags, marketing_opt_in_at, attributes) values (${t.workspaceId}, '919800990026', 'Ravi', '{r}', now(), '{"city":"Goa"}') returning id`;
    const { json } = await t.call("POST", "/v1/broadcasts", { name: "r", template: TEMPLATE, audience: { tag: "r" } });
    const done = await eventually(async () => (await t.call("GET", `/v1/broadcasts/${json.id}`)).json, (x) => x.status === "completed" && x.counts.read === 8, 30_000);
    expect(done.counts).toMatchObject({ targeted: 9, sent: 8, failed: 1, failed_by_code: { "131026": 1 } });
    // Meta's statuses said billable, marketing: 8 × 0.0107 by the card.
    await eventually(async () => (await t.call("GET", `/v1/broadcasts/${json.id}`)).json.counts.cost, (c) => c.billable === 8, 15_000);
    expect((await t.call("GET", `/v1/broadcasts/${json.id}`)).json.counts.cost).toEqual({ currency: "USD", amount: "0.0856", billable: 8, unpriced: 0 });

    const failed = await t.call("GET", `/v1/broadcasts/${json.id}/recipients?status=failed`);
    expect(failed.json).toMatchObject({ data: [{ contact_id: bad!.id, wa_id: "919800990026", status: "failed", error_code: 131026, error_reason: "meta_error" }], next_cursor: null });
    const page = await t.call("GET", `/v1/broadcasts/${json.id}/recipients?limit=5`);
    expect(page.json.data).toHaveLength(5);
    const rest = await t.call("GET", `/v1/broadcasts/${json.id}/recipients?limit=5&cursor=${page.json.next_cursor}`);
    expect(new Set([...page.json.data, ...rest.json.data].map((r: { wa_id: string }) => r.wa_id))).toEqual(new Set([...ok, "919800990026"]));
    const csv = await t.call("GET", `/v1/broadcasts/${json.id}/recipients?status=failed`, undefined, { accept: "text/csv" });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = csv.text.trim().split("\r\n");
    expect(lines[0]).toBe("message_id,contact_id,wa_id,status,error_code,error_title,error_details,error_reason,updated_at");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(",919800990026,failed,131026,");

    const events = await rig.stack.owner<{ event_type: string; body: string }[]>`select event_type, body from webhook_deliveries where workspace_id = ${t.workspaceId}`;
    const types = events.map((e) => e.event_type);
    expect(types).toEqual(expect.arrayContaining(["broadcast.started", "broadcast.completed", "message.sent", "message.delivered", "message.read", "message.failed"]));
    for (const e of events.filter((x) => x.event_type.startsWith("message."))) expect(JSON.parse(e.body).data.broadcast_id, e.event_type).toBe(json.id);
    const completed = JSON.parse(events.find((e) => e.event_type === "broadcast.completed")!.body);
    expect(completed.data).toMatchObject({ id: json.id, counts: { targeted: 9, failed: 1 } });
  }, 60_000);
});
