import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asApp, withTenant } from "../db/tenant.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { connectTestNumber, TEST_WABA_ID } from "./support/senders.js";
import { envelope, INBOUND_SAMPLES, sign, statusValue } from "./support/meta-payloads.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack();
});
afterAll(() => stack.close());

const post = (body: string) => stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
// JSON.stringify cannot write 12,000 levels of nesting (its recursion runs out); Meta's body can carry them.
const DEEP = "__deep__";
const deliver = (payload: unknown) => post(JSON.stringify(payload).replaceAll(`"${DEEP}"`, `${'{"a":'.repeat(12_000)}"bottom"${"}".repeat(12_000)}`));

let seq = 0;
const ts = () => Math.floor(Date.now() / 1000);
async function tenant() {
  const t = await stack.tenant();
  const n = await connectTestNumber(stack, t.workspaceId);
  const sent = async () => {
    const id = crypto.randomUUID();
    const wamid = `wamid.dl${Date.now()}${seq++}`;
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, wamid)
      values (${id}, ${t.workspaceId}, ${n.id}, 'outbound', '919876543210', 'text', '{}', 'sent', ${wamid})`;
    return { id, wamid };
  };
  const deadLetters = async (query = "") => {
    const res = await stack.request(`/v1/meta-dead-letters${query}`, { headers: { authorization: `Bearer ${t.key}` } });
    expect(res.status).toBe(200);
    return (await res.json()) as { data: { kind: string; reason: string; problems: { path: string; message: string }[]; item: string; phone_number_id: string; truncated: boolean }[]; next_cursor: string | null };
  };
  return { ...t, number: n, pnid: n.phone_number_id, sent, deadLetters };
}

const statusOf = async (id: string) => (await stack.owner`select status from messages where id = ${id}`)[0]!.status as string;
const inbound = (wamid: string) => stack.owner`select id from messages where wamid = ${wamid} and direction = 'inbound'`;
const optedOut = async (workspaceId: string, waId: string) => (await stack.owner`select opted_out_at from contacts where workspace_id = ${workspaceId} and wa_id = ${waId}`)[0]?.opted_out_at != null;
const counts = async () =>
  (await stack.owner`select (select count(*)::int from messages) as messages, (select count(*)::int from message_events) as events,
    (select count(*)::int from meta_dead_letters) as dead, (select count(*)::int from contacts) as contacts, (select count(*)::int from status_backlog) as backlog`)[0];

/** One change of a delivery: what Meta sends for one business number. */
const change = (pnid: string, value: Record<string, unknown>, wabaId = TEST_WABA_ID) => envelope(pnid, value, wabaId).entry[0]!;
const text = (from: string, id: string, body: unknown, extra: Record<string, unknown> = {}) => ({ ...INBOUND_SAMPLES.text!(from, id, ts()), text: { body }, ...extra });
const status = (wamid: string, st: string, extra: Record<string, unknown> = {}) => ({ ...statusValue(wamid, st, ts()).statuses[0], ...extra });

/** The values that failed whole deliveries: each is set aside, alone. */
const POISON: [string, "status" | "message", (w: string) => Record<string, unknown>, RegExp][] = [
  ["a NUL", "message", (w) => text("919800000001", w, "hel\u0000lo"), /NUL/],
  ["a lone surrogate", "message", (w) => text("919800000002", w, "broken \ud83d emoji"), /surrogate/],
  ["an out-of-range timestamp", "status", (w) => status(w, "delivered", { timestamp: "99999999999" }), /between 2000 and 2100/],
  ["an out-of-range error code", "status", (w) => status(w, "failed", { errors: [{ code: 99_999_999_999, title: "x" }] }), /out of range/],
  ["a 3,200-character id", "status", () => status(`wamid.${"x".repeat(3200)}`, "delivered"), /at most 256/],
  ["12,000 levels of nesting", "message", (w) => text("919800000003", w, "hi", { extra: DEEP }), /deeper than 32/],
  ["a type mismatch", "status", (w) => status(w, "delivered", { timestamp: 1_790_000_000 }), /unix seconds as a string/],
];

describe("one bad item costs that item alone", () => {
  it.each(POISON)("%s is dead-lettered; the good item beside it is applied; 200", async (_, kind, make, why) => {
    const t = await tenant();
    const good = await t.sent();
    const bad = make(`wamid.bad${Date.now()}${seq++}`);
    const value = kind === "status" ? { statuses: [status(good.wamid, "delivered"), bad] } : { statuses: [status(good.wamid, "delivered")], messages: [bad] };
    const res = await deliver({ object: "whatsapp_business_account", entry: [change(t.pnid, value)] });
    expect(res.status).toBe(200);
    expect(await statusOf(good.id)).toBe("delivered");
    const { data } = await t.deadLetters();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ kind, reason: "invalid_item", phone_number_id: t.pnid });
    expect(data[0]!.problems.map((p) => p.message).join(" ")).toMatch(why);
  });

  it("all of them at once, for two tenants: every good item applied for both, opt-outs included; a redelivery changes nothing", async () => {
    const a = await tenant();
    const b = await tenant();
    const [ma, mb] = [await a.sent(), await b.sent()];
    const w = (tag: string) => `wamid.${tag}${Date.now()}${seq++}`;
    const stopA = w("stopA");
    const helloB = w("helloB");
    const bads = POISON.map(([, kind, make]) => ({ kind, item: make(w("bad")) }));
    const split = (i: number) => bads.filter((_, j) => j % 2 === i);
    const valueFor = (own: typeof bads, goodStatus: Record<string, unknown>, goodMessage: Record<string, unknown>) => ({
      contacts: [{ profile: { name: "Asha" }, wa_id: goodMessage.from }],
      statuses: [goodStatus, ...own.filter((x) => x.kind === "status").map((x) => x.item)],
      messages: [goodMessage, ...own.filter((x) => x.kind === "message").map((x) => x.item)],
    });
    const payload = {
      object: "whatsapp_business_account",
      entry: [
        change(a.pnid, valueFor(split(0), status(ma.wamid, "read"), text("919811111111", stopA, "STOP"))),
        change(b.pnid, valueFor(split(1), status(mb.wamid, "delivered"), text("919822222222", helloB, "hello"))),
      ],
    };
    const res = await deliver(payload);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ statuses: 2, inbound: 2, deadLettered: POISON.length });
    expect(await statusOf(ma.id)).toBe("read");
    expect(await statusOf(mb.id)).toBe("delivered");
    expect(await inbound(stopA)).toHaveLength(1);
    expect(await inbound(helloB)).toHaveLength(1);
    expect(await optedOut(a.workspaceId, "919811111111")).toBe(true);
    // Each workspace reads its own dead letters, and only those.
    expect((await a.deadLetters()).data.map((d) => d.phone_number_id)).toEqual(split(0).map(() => a.pnid));
    expect((await b.deadLetters()).data.map((d) => d.phone_number_id)).toEqual(split(1).map(() => b.pnid));

    const before = await counts();
    const again = await deliver(payload);
    expect(again.status).toBe(200);
    expect(await counts()).toEqual(before);
  });

  it("a dead letter keeps the item as JSON text, bounded, NUL and surrogates escaped", async () => {
    const t = await tenant();
    const res = await deliver({ object: "whatsapp_business_account", entry: [change(t.pnid, { messages: [text("919800000009", "wamid.nul", "a\u0000b", { blob: "y".repeat(40_000) }), text("919800000009", "wamid.deep", "x", { d: DEEP })] })] });
    expect(res.status).toBe(200);
    const { data } = await t.deadLetters();
    const byId = (id: string) => data.find((d) => d.item.includes(id))!;
    expect(byId("wamid.nul").item).toContain("a\\u0000b");
    expect(byId("wamid.nul").truncated).toBe(true);
    expect(byId("wamid.nul").item.length).toBe(16 * 1024);
    expect(byId("wamid.deep").item).toContain("[nested too deep]");
    expect(JSON.parse(byId("wamid.deep").item)).toMatchObject({ id: "wamid.deep" });
  });

  it("a list where an item was expected, an envelope without entries: recorded, acknowledged", async () => {
    const t = await tenant();
    const m = await t.sent();
    const res = await deliver({ object: "whatsapp_business_account", entry: [change(t.pnid, { statuses: [status(m.wamid, "delivered")], messages: "not a list" }), 42] });
    expect(res.status).toBe(200);
    expect(await statusOf(m.id)).toBe("delivered");
    expect((await t.deadLetters()).data).toMatchObject([{ kind: "change", reason: "invalid_item" }]);
    expect((await post(JSON.stringify({ object: "whatsapp_business_account", entry: "x" }))).status).toBe(200);
    const [row] = await stack.owner`select kind, workspace_id from meta_dead_letters where kind = 'delivery'`;
    expect(row).toEqual({ kind: "delivery", workspace_id: null });
  });

  it("GET /v1/meta-dead-letters pages newest first and validates its query", async () => {
    const t = await tenant();
    const items = Array.from({ length: 3 }, (_, i) => status(`wamid.${"z".repeat(300)}${i}`, "sent"));
    expect((await deliver({ object: "whatsapp_business_account", entry: [change(t.pnid, { statuses: items })] })).status).toBe(200);
    const first = await t.deadLetters("?limit=2");
    expect(first.data).toHaveLength(2);
    const rest = await t.deadLetters(`?limit=2&cursor=${first.next_cursor}`);
    expect(rest.data).toHaveLength(1);
    expect(rest.next_cursor).toBeNull();
    expect((await stack.request("/v1/meta-dead-letters")).status).toBe(401);
    const bad = await stack.request("/v1/meta-dead-letters?limit=0", { headers: { authorization: `Bearer ${t.key}` } });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error).toMatchObject({ code: "validation_failed", details: [{ field: "limit" }] });
  });
});

describe("a value the checks let through and the database refuses", () => {
  it("is found item by item and dead-lettered; the rest of its number's batch and the other number's are applied", async () => {
    // A constraint this file's database alone carries stands for any refusal the checks do not foresee.
    await stack.owner`alter table message_events add constraint zz_refuse check (details->>'recipient_id' is distinct from '919800000666')`;
    try {
      const [a, b] = [await tenant(), await tenant()];
      const [a1, a2, b1] = [await a.sent(), await a.sent(), await b.sent()];
      const res = await deliver({
        object: "whatsapp_business_account",
        entry: [change(a.pnid, { statuses: [status(a1.wamid, "delivered"), status(a2.wamid, "delivered", { recipient_id: "919800000666" })] }), change(b.pnid, { statuses: [status(b1.wamid, "read")] })],
      });
      expect(res.status).toBe(200);
      expect([await statusOf(a1.id), await statusOf(a2.id), await statusOf(b1.id)]).toEqual(["delivered", "sent", "read"]);
      expect((await a.deadLetters()).data).toMatchObject([{ kind: "status", reason: "rejected_by_database", problems: [{ message: expect.stringContaining("23514") }] }]);
      expect((await b.deadLetters()).data).toEqual([]);
    } finally {
      await stack.owner`alter table message_events drop constraint zz_refuse`;
    }
  });
});

describe("items no workspace can answer for are the operator's", () => {
  it("entry[].id must be the number's WABA: a mismatch is not applied and no workspace sees it", async () => {
    const t = await tenant();
    const [right, wrong] = [await t.sent(), await t.sent()];
    const payload = { object: "whatsapp_business_account", entry: [change(t.pnid, { statuses: [status(right.wamid, "delivered")] }), change(t.pnid, { statuses: [status(wrong.wamid, "delivered")] }, "555000111")] };
    expect((await deliver(payload)).status).toBe(200);
    expect((await deliver(payload)).status).toBe(200); // Meta's retry: the operator's row is not written twice
    expect(await statusOf(right.id)).toBe("delivered");
    expect(await statusOf(wrong.id)).toBe("sent");
    expect((await t.deadLetters()).data).toEqual([]);
    const rows = await stack.owner`select workspace_id, reason, waba_id, phone_number_id from meta_dead_letters where phone_number_id = ${t.pnid}`;
    expect(rows).toEqual([{ workspace_id: null, reason: "waba_mismatch", waba_id: "555000111", phone_number_id: t.pnid }]);
  });

  it("a number no workspace owns is kept, operator-only; the application role can neither read nor forge such rows", async () => {
    const t = await tenant();
    expect((await deliver(envelope("999000111333", statusValue("wamid.nobody", "sent", 1_790_000_000)))).status).toBe(200);
    expect(stack.logs.some((l) => l.includes("meta webhook for unknown numbers") && l.includes("999000111333"))).toBe(true);
    expect(await stack.owner`select reason, workspace_id from meta_dead_letters where phone_number_id = '999000111333'`).toEqual([{ reason: "unknown_number", workspace_id: null }]);
    const seen = await withTenant(stack.services.db, t.workspaceId, (tx) => tx.execute(sql`select 1 from meta_dead_letters where workspace_id is null`));
    expect(seen).toHaveLength(0);
    expect(await asApp(stack.services.db, (tx) => tx.execute(sql`select 1 from meta_dead_letters`))).toHaveLength(0);
    await expect(
      withTenant(stack.services.db, t.workspaceId, (tx) => tx.execute(sql`insert into meta_dead_letters (id, kind, reason, item, dedupe_key) values (gen_random_uuid(), 'status', 'x', '{}', 'forged')`)),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
  });
});

describe("a failure that is not the item's fault", () => {
  it("the database away answers 503, so Meta retries", async () => {
    const down = await createTestStack({ DATABASE_URL: "postgres://sandesh_app@127.0.0.1:1/nowhere" });
    try {
      const body = JSON.stringify(envelope("123456789", statusValue("wamid.retry", "delivered", 1_790_000_000)));
      const res = await down.request("/webhooks/meta", { method: "POST", body, headers: { "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
      expect(res.status).toBe(503);
      expect((await res.json()).error.code).toBe("temporarily_unavailable");
    } finally {
      await down.close();
    }
  });
});
