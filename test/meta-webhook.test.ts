import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messages } from "../db/schema/index.js";
import { withTenant } from "../db/tenant.js";
import type { Tx } from "../db/client.js";
import { applyBacklogFor, applyStatuses, lockWamids } from "../lib/ingest/statuses.js";
import { eq } from "drizzle-orm";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { envelope, inboundValue, INBOUND_SAMPLES, sign, statusValue } from "./support/meta-payloads.js";

let stack: TestStack;
beforeAll(async () => {
  stack = await createTestStack({}, { localQueue: true });
});
afterAll(() => stack.close());

const SECRET = TEST_SECRETS.META_APP_SECRET;
const post = (body: string, signature: string | null = sign(SECRET, body)) =>
  stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", ...(signature ? { "x-hub-signature-256": signature } : {}) } });
const deliver = (payload: unknown) => post(JSON.stringify(payload));

let seq = 0;
async function setup() {
  const t = await stack.tenant();
  await setLimits(stack, t.workspaceId, { apiKey: { limit: 1000, periodMs: 1000 }, ip: { limit: 1000, periodMs: 1000 }, workspace: { limit: 1000, periodMs: 1000 } });
  const n = await connectTestNumber(stack, t.workspaceId);
  const send = (body: unknown) =>
    stack.request("/v1/messages", { method: "POST", body: JSON.stringify(body), headers: { authorization: `Bearer ${t.key}` } });
  /** An outbound message as the send job leaves it: sent, with Meta's wamid. */
  const sentMessage = async (to = "919876543210") => {
    const wamid = `wamid.test${Date.now()}${seq++}`;
    const id = crypto.randomUUID();
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, wamid)
      values (${id}, ${t.workspaceId}, ${n.id}, 'outbound', ${to}, 'text', '{}', 'sent', ${wamid})`;
    return { id, wamid };
  };
  return { ...t, number: n, send, sentMessage };
}

const eventsOf = (id: string) => stack.owner<{ status: string }[]>`select status from message_events where message_id = ${id} order by occurred_at, created_at`;
const backlogOf = async (wamid: string) => (await stack.owner`select count(*)::int as n from status_backlog where wamid = ${wamid}`)[0]!.n as number;
const statusOf = async (id: string) => (await stack.owner`select status from messages where id = ${id}`)[0]!.status as string;

describe("GET /webhooks/meta (subscription)", () => {
  it("echoes hub.challenge when the verify token matches", async () => {
    const res = await stack.request(`/webhooks/meta?hub.mode=subscribe&hub.verify_token=${TEST_SECRETS.META_VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("1158201444");
  });
  it.each([
    ["a wrong token", `hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`],
    ["no mode", `hub.verify_token=${TEST_SECRETS.META_VERIFY_TOKEN}&hub.challenge=1`],
  ])("refuses %s with 403", async (_, q) => {
    expect((await stack.request(`/webhooks/meta?${q}`)).status).toBe(403);
  });
});

describe("POST /webhooks/meta: the signature comes first", () => {
  it.each([
    ["forged", (b: string) => sign("not-the-app-secret", b)],
    ["missing", () => null],
    ["for another body", (b: string) => sign(SECRET, b + " ")],
    ["malformed", () => "sha1=abc"],
  ])("a %s signature is 401 and nothing changes", async (_, sig) => {
    const t = await setup();
    const m = await t.sentMessage();
    const body = JSON.stringify(envelope(t.number.phone_number_id, statusValue(m.wamid, "delivered", 1_790_000_000)));
    const res = await post(body, sig(body));
    expect(res.status).toBe(401);
    expect((await res.json()).error.code).toBe("invalid_signature");
    expect(await statusOf(m.id)).toBe("sent");
    expect(await eventsOf(m.id)).toEqual([]);
  });
});

describe("statuses", () => {
  it("out of order and duplicated, they end in the right state with one event each", async () => {
    const t = await setup();
    const m = await t.sentMessage();
    const ts = 1_790_000_000;
    for (const [status, at] of [["read", ts + 20], ["sent", ts], ["delivered", ts + 10], ["read", ts + 20], ["delivered", ts + 10], ["sent", ts]] as const) {
      expect((await deliver(envelope(t.number.phone_number_id, statusValue(m.wamid, status, at)))).status).toBe(200);
    }
    expect(await statusOf(m.id)).toBe("read");
    expect((await eventsOf(m.id)).map((e) => e.status)).toEqual(["sent", "delivered", "read"]);
  });

  it("a batch of many statuses in one call is applied at once", async () => {
    const t = await setup();
    const ms = await Promise.all(Array.from({ length: 20 }, () => t.sentMessage()));
    const statuses = ms.flatMap((m, i) => [...statusValue(m.wamid, "delivered", 1_790_000_100 + i).statuses, ...statusValue(m.wamid, i % 2 ? "read" : "delivered", 1_790_000_200 + i).statuses]);
    expect((await deliver(envelope(t.number.phone_number_id, { statuses }))).status).toBe(200);
    const rows = await stack.owner`select status, count(*)::int as n from messages where workspace_id = ${t.workspaceId} group by status order by status`;
    expect(rows).toEqual([{ status: "delivered", n: 10 }, { status: "read", n: 10 }]);
  });

  it("failed records Meta's error and is terminal; pricing and conversation are kept", async () => {
    const t = await setup();
    const m = await t.sentMessage();
    await deliver(envelope(t.number.phone_number_id, statusValue(m.wamid, "sent", 1_790_000_000)));
    const failure = { errors: [{ code: 131026, title: "Message undeliverable", message: "Message undeliverable", error_data: { details: "Message Undeliverable." } }] };
    await deliver(envelope(t.number.phone_number_id, statusValue(m.wamid, "failed", 1_790_000_050, "919876543210", failure)));
    await deliver(envelope(t.number.phone_number_id, statusValue(m.wamid, "delivered", 1_790_000_060)));
    const [row] = await stack.owner`select status, error_code, error_title, error_details, conversation_id, pricing from messages where id = ${m.id}`;
    expect(row).toMatchObject({ status: "failed", error_code: 131026, error_title: "Message undeliverable", error_details: "Message Undeliverable.", conversation_id: "6ceb9d929c7f1b9a0f7ae87ac0d0b4b0", pricing: { billable: true, pricing_model: "PMP", category: "utility" } });
    const res = await stack.request(`/v1/messages/${m.id}`, { headers: { authorization: `Bearer ${t.key}` } });
    expect((await res.json()).error).toEqual({ code: 131026, title: "Message undeliverable", details: "Message Undeliverable.", reason: "meta_error" });
  });

  it("statuses that outrun the send job wait in the backlog and apply when the wamid is known", async () => {
    const t = await setup();
    const wamid = `wamid.early${Date.now()}`;
    await deliver(envelope(t.number.phone_number_id, statusValue(wamid, "delivered", 1_790_000_010)));
    const id = crypto.randomUUID();
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status)
      values (${id}, ${t.workspaceId}, ${t.number.id}, 'outbound', '919876543210', 'text', '{}', 'sending')`;
    await withTenant(stack.services.db, t.workspaceId, async (tx) => {
      await tx.update(messages).set({ status: "sent", wamid }).where(eq(messages.id, id));
      await applyBacklogFor(tx, t.workspaceId, [wamid]);
    });
    expect(await statusOf(id)).toBe("delivered");
    expect(await backlogOf(wamid)).toBe(0);
  });

  describe("a status that races the send job recording its wamid is never stranded in the backlog", () => {
    /** A message as the send job claimed it: `sending`, no wamid yet. */
    const sendingMessage = async (t: Awaited<ReturnType<typeof setup>>) => {
      const id = crypto.randomUUID();
      await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status)
        values (${id}, ${t.workspaceId}, ${t.number.id}, 'outbound', '919876543210', 'text', '{}', 'sending')`;
      return { id, wamid: `wamid.race${Date.now()}${seq++}` };
    };
    /** The send job's finish step: record `sent` and the wamid, then apply what outran it. */
    const finish = (tx: Tx, t: { workspaceId: string }, m: { id: string; wamid: string }) =>
      tx.update(messages).set({ status: "sent", wamid: m.wamid }).where(eq(messages.id, m.id)).then(() => applyBacklogFor(tx, t.workspaceId, [m.wamid]));
    /** Until `other` has finished or is waiting on a lock in this database: the moment to let the open transaction commit. */
    const settledOrBlocked = async (other: Promise<unknown>) => {
      let settled = false;
      void other.then(() => (settled = true), () => (settled = true));
      const end = Date.now() + 10_000;
      while (!settled && Date.now() < end) {
        const [w] = await stack.owner`select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database where d.datname = current_database() and not l.granted`;
        if (w!.n > 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
    };

    it("read arrives after the send job drained the backlog, before it committed", async () => {
      const t = await setup();
      const m = await sendingMessage(t);
      let webhook!: Promise<Response>;
      await withTenant(stack.services.db, t.workspaceId, async (tx) => {
        await finish(tx, t, m);
        webhook = deliver(envelope(t.number.phone_number_id, statusValue(m.wamid, "read", 1_790_000_020)));
        await settledOrBlocked(webhook);
      });
      expect((await webhook).status).toBe(200);
      expect(await statusOf(m.id)).toBe("read");
      expect(await backlogOf(m.wamid)).toBe(0);
    });

    it("the send job drains while the webhook that backlogged read has not committed", async () => {
      const t = await setup();
      const m = await sendingMessage(t);
      let sent!: Promise<unknown>;
      await withTenant(stack.services.db, t.workspaceId, async (tx) => {
        // As the ingest does it: the delivery's wamids locked first.
        await lockWamids(tx, [m.wamid]);
        await applyStatuses(tx, t.workspaceId, statusValue(m.wamid, "read", 1_790_000_020).statuses);
        sent = withTenant(stack.services.db, t.workspaceId, (tx2) => finish(tx2, t, m));
        await settledOrBlocked(sent);
      });
      await sent;
      expect(await statusOf(m.id)).toBe("read");
      expect(await backlogOf(m.wamid)).toBe(0);
    });
  });

  it("a number no workspace owns is acknowledged and logged, never an error loop", async () => {
    const res = await deliver(envelope("999000111222", statusValue("wamid.x", "sent", 1_790_000_000)));
    expect(res.status).toBe(200);
    expect(stack.logs.some((l) => l.includes("meta webhook for unknown numbers") && l.includes("999000111222"))).toBe(true);
  });
});

describe("inbound messages", () => {
  it("every inbound type Meta sends parses and is stored once, creating the contact", async () => {
    const t = await setup();
    const ts = Math.floor(Date.now() / 1000);
    const types = Object.keys(INBOUND_SAMPLES);
    for (const [i, kind] of types.entries()) {
      const msg = INBOUND_SAMPLES[kind]!("919812345678", `wamid.in${ts}${i}`, ts);
      const payload = envelope(t.number.phone_number_id, inboundValue(msg, "Asha Rao"));
      expect((await deliver(payload)).status).toBe(200);
      expect((await deliver(payload)).status).toBe(200); // Meta's retry: changes nothing
    }
    const rows = await stack.owner`select type, status, direction from messages where workspace_id = ${t.workspaceId} and direction = 'inbound'`;
    expect(rows).toHaveLength(types.length);
    expect(new Set(rows.map((r) => r.type))).toEqual(new Set(["text", "image", "document", "audio", "video", "sticker", "location", "contacts", "interactive", "button", "reaction", "order", "unsupported"]));
    expect(rows.every((r) => r.status === "received")).toBe(true);
    const contacts = await stack.owner`select wa_id, profile_name from contacts where workspace_id = ${t.workspaceId}`;
    expect(contacts).toEqual([{ wa_id: "919812345678", profile_name: "Asha Rao" }]);
  });

  it("an inbound message reads from the contact to the number in GET /v1/messages and /v1/messages/{id}", async () => {
    const t = await setup();
    const ts = Math.floor(Date.now() / 1000);
    await deliver(envelope(t.number.phone_number_id, inboundValue(INBOUND_SAMPLES.text!("919844455566", `wamid.dir${ts}`, ts))));
    const get = async (path: string) => (await stack.request(path, { headers: { authorization: `Bearer ${t.key}` } })).json();
    const list = await get("/v1/messages");
    const inbound = list.data.find((m: { direction: string }) => m.direction === "inbound");
    expect(inbound).toMatchObject({ from: "919844455566", to: t.number.phone_number_id });
    expect(await get(`/v1/messages/${inbound.id}`)).toMatchObject({ from: "919844455566", to: t.number.phone_number_id });
    // The `to` filter matches what is shown as `to`.
    expect((await get(`/v1/messages?to=${t.number.phone_number_id}`)).data.map((m: { id: string }) => m.id)).toEqual([inbound.id]);
    expect((await get("/v1/messages?to=919844455566")).data).toEqual([]);
  });

  it("opens the 24-hour window: a text is refused before and accepted after", async () => {
    const t = await setup();
    const text = { to: "919811122233", type: "text", text: { body: "Your order shipped" } };
    const before = await t.send(text);
    expect(before.status).toBe(422);
    expect((await before.json()).error.code).toBe("outside_customer_service_window");
    const ts = Math.floor(Date.now() / 1000);
    await deliver(envelope(t.number.phone_number_id, inboundValue(INBOUND_SAMPLES.text!("919811122233", `wamid.w${ts}`, ts))));
    expect((await t.send(text)).status).toBe(202);
  });

  it("a window older than 24 hours is closed again", async () => {
    const t = await setup();
    const old = Math.floor(Date.now() / 1000) - 25 * 3600;
    await deliver(envelope(t.number.phone_number_id, inboundValue(INBOUND_SAMPLES.text!("919811100000", `wamid.old${old}`, old))));
    const res = await t.send({ to: "919811100000", type: "text", text: { body: "late" } });
    expect((await res.json()).error.code).toBe("outside_customer_service_window");
  });

  it("STOP opts out of marketing; a marketing template is then refused, a utility one is not; START opts back in", async () => {
    const t = await setup();
    const who = "919822233344";
    const ts = Math.floor(Date.now() / 1000);
    const say = (word: string, i: number) => deliver(envelope(t.number.phone_number_id, inboundValue({ ...INBOUND_SAMPLES.text!(who, `wamid.kw${ts}${i}`, ts + i), text: { body: word } })));
    const template = (category?: string) => ({ to: who, type: "template", template: { name: "diwali_sale", language: { code: "en_US" }, ...(category ? { category } : {}) } });
    expect((await t.send(template())).status).toBe(202);
    await say("  stop ", 1);
    const refused = await t.send(template("MARKETING"));
    expect(refused.status).toBe(422);
    expect((await refused.json()).error.code).toBe("contact_opted_out");
    expect((await t.send(template())).status).toBe(422); // no category: treated as marketing
    expect((await t.send(template("UTILITY"))).status).toBe(202);
    await say("Start", 2);
    expect((await t.send(template("MARKETING"))).status).toBe(202);
  });

  it("opt-out keywords are configurable per workspace", async () => {
    const t = await setup();
    await stack.owner`update workspaces set settings = settings || ${stack.owner.json({ opt_out_keywords: ["BAND KARO"] } as never)} where id = ${t.workspaceId}`;
    const ts = Math.floor(Date.now() / 1000);
    await deliver(envelope(t.number.phone_number_id, inboundValue({ ...INBOUND_SAMPLES.text!("919833344455", `wamid.bk${ts}`, ts), text: { body: "band karo" } })));
    const [c] = await stack.owner`select opted_out_at from contacts where workspace_id = ${t.workspaceId} and wa_id = '919833344455'`;
    expect(c!.opted_out_at).not.toBeNull();
  });
});

describe("the status backlog sweep", () => {
  it("applies a backlogged status whose wamid a message now carries, and leaves young or still-unknown ones", async () => {
    const { applyStrandedStatuses } = await import("../lib/jobs/sweep.js");
    const t = await setup();
    const m = await t.sentMessage();
    // Meta's `read` arrived before the wamid was recorded, and nothing drained it afterwards.
    const early = `wamid.early${Date.now()}`;
    const young = `wamid.young${Date.now()}`;
    const unknown = `wamid.unknown${Date.now()}`;
    for (const w of [early, young, unknown]) expect((await deliver(envelope(t.number.phone_number_id, statusValue(w, "read", 1_790_000_300)))).status).toBe(200);
    expect(await backlogOf(early)).toBe(1);
    await stack.owner`update messages set wamid = ${early} where id = ${m.id}`;
    const other = await t.sentMessage();
    await stack.owner`update messages set wamid = ${young} where id = ${other.id}`;
    await stack.owner`update status_backlog set created_at = now() - interval '10 minutes' where wamid in (${early}, ${unknown})`;

    expect(await applyStrandedStatuses(stack.services)).toBeGreaterThanOrEqual(1);
    expect(await statusOf(m.id)).toBe("read");
    expect(await backlogOf(early)).toBe(0);
    // Too young to call stranded (the send job may be draining it right now), and a wamid no message has.
    expect(await statusOf(other.id)).toBe("sent");
    expect(await backlogOf(young)).toBe(1);
    expect(await backlogOf(unknown)).toBe(1);
  });
});
