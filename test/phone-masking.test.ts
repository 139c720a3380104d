import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCommand } from "../dev/admin/commands.js";
import { createNodeServices } from "../dev/services.js";
import { createApiKey } from "../lib/apikeys/manage.js";
import { produceExport } from "../lib/exports/produce.js";
import { setPhonesUnmasked } from "../lib/permissions/member.js";
import { maskPhone, maskWebhookBody, phoneBearing, presentPhones, wamid, wamidMask } from "../lib/permissions/phones.js";
import { newWamid } from "../dev/meta-sandbox/index.js";
import { signedInBrowser, visibleText } from "./support/dashboard-kit.js";
import { eventually } from "./support/eventually.js";
import { envelope, inboundValue, INBOUND_SAMPLES, sign } from "./support/meta-payloads.js";
import { connectTestNumber, setLimits } from "./support/senders.js";
import { createTestStack, TEST_SECRETS, type TestStack } from "./support/stack.js";

/**
 * Phone masking in every surface that shows a contact's number: /v1 JSON (messages,
 * contacts, broadcast recipients, dead letters), CSV exports (contacts, recipients), the
 * Graph-compatible answer, outgoing webhook payloads (both shapes) of endpoints made by
 * a masked key, and the dashboard; an unmasked scope or membership grant sees it whole.
 * A wamid encodes the number (base64): a masked principal is shown its keyed digest.
 */
const NUMBER = "919812345210";
const MASKED = "+91 98••• ••210";
const NATIONAL = "9812345210"; // what must not appear, in any grouping, where masked
// The inbound message's id, in Meta's shape: base64 of a record that holds the number.
const WAMID = newWamid(NUMBER);
const WAMID_SHAPED = /wamid\.(?:masked\.)?[A-Za-z0-9+/=_-]+/g;

let stack: TestStack;
let t: { workspaceId: string; key: string };
let masked: string;
let whole: string;
let phoneNumberId: string;
let messageId: string;
const endpoints: Record<string, string> = {};
const READS = ["messages:read", "messages:send", "contacts:read", "broadcasts:read", "exports:create", "webhooks:write", "webhooks:read", "numbers:read"];

const call = async (key: string, path: string, init: RequestInit = {}) => {
  const res = await stack.request(path, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) } });
  return { status: res.status, text: await res.text() };
};
const noWholeNumber = (text: string) => expect(text.replace(/\D/g, "")).not.toContain(NATIONAL);
/** Neither the wamid nor the number's base64 form, and nothing wamid-shaped that decodes to the number. */
function noDecodableNumber(text: string) {
  expect(Buffer.from(WAMID.slice(6), "base64").toString("latin1")).toContain(NUMBER); // the check can fail
  expect(text).not.toContain(WAMID);
  expect(text).not.toContain(Buffer.from(NUMBER).toString("base64"));
  for (const w of text.match(WAMID_SHAPED) ?? []) {
    for (const part of w.split(".")) expect(Buffer.from(part, "base64").toString("latin1").replace(/\D/g, ""), w).not.toContain(NATIONAL);
  }
}
const digestsIn = (text: string) => [...new Set((text.match(WAMID_SHAPED) ?? []).filter((w) => w.startsWith("wamid.masked.")))];

beforeAll(async () => {
  // A real queue (not consumed): the Graph-compatible send needs its job queued.
  stack = await createTestStack({}, { localQueue: true });
  t = await stack.tenant("Masking");
  const high = { limit: 100_000, periodMs: 1000 };
  await setLimits(stack, t.workspaceId, { apiKey: high, ip: high, workspace: high });
  masked = (await createApiKey(stack.services, t.workspaceId, "masked", { actorType: "operator" }, { scopes: READS })).key;
  whole = (await createApiKey(stack.services, t.workspaceId, "whole", { actorType: "operator" }, { scopes: [...READS, "contacts:read_unmasked"] })).key;
  phoneNumberId = (await connectTestNumber(stack, t.workspaceId)).phone_number_id;
  // Endpoints made by each key, in both shapes, before the message arrives.
  for (const [name, key, format] of [["masked", masked, "standard"], ["maskedMeta", masked, "meta"], ["whole", whole, "standard"]] as const) {
    const r = await call(key, "/v1/webhook-endpoints", { method: "POST", body: JSON.stringify({ url: `http://127.0.0.1:9/${name}`, format }) });
    expect(r.status, r.text).toBe(201);
    const ep = JSON.parse(r.text);
    expect(ep.masks_phones).toBe(key === masked);
    endpoints[name] = ep.id;
  }
  // The contact writes in through Meta's webhook: a contact, an inbound message, events.
  const msg = INBOUND_SAMPLES.text!(NUMBER, WAMID, Math.floor(Date.now() / 1000));
  const body = JSON.stringify(envelope(phoneNumberId, inboundValue(msg)));
  const res = await stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
  expect(res.status).toBe(200);
  messageId = (await stack.owner`select id from messages where workspace_id = ${t.workspaceId} and recipient = ${NUMBER}`)[0]!.id;
});
afterAll(() => stack?.close());

describe("the mask", () => {
  it("keeps the country code, two leading and three trailing digits", () => {
    expect(maskPhone(NUMBER)).toBe(MASKED);
    expect(maskPhone("+919812345210")).toBe(MASKED);
    expect(maskPhone("14155550123")).toBe("+1 41••• ••123");
    expect(maskPhone("447911123456")).toBe("+44 79••• ••456");
    expect(maskPhone("IN.1234567890abcdef")).toBe("IN.1234567890abcdef"); // a business-scoped user id is no number
  });

  it("markers come out whole only when asked, and masked however else they are serialized", () => {
    const mask = wamidMask(stack.services.vault, t.workspaceId);
    const answer = { content: phoneBearing({ to: NUMBER, metadata: { display_phone_number: "15550783881" } }, mask) };
    expect(JSON.stringify(presentPhones(answer, true))).toContain(NUMBER);
    expect(presentPhones(answer, false)).toEqual({ content: { to: MASKED, metadata: { display_phone_number: "15550783881" } } });
    expect(JSON.stringify(answer)).not.toContain(NUMBER);
    // A dead letter's item is JSON text, possibly cut short.
    expect(presentPhones(phoneBearing(`{"from":"${NUMBER}","id":"x"}`, mask), false)).toBe(`{"from":"${MASKED}","id":"x"}`);
    expect(presentPhones(phoneBearing(`{"from":"${NUMBER}","id":"x`, mask), false)).not.toContain(NATIONAL);
  });

  it("a wamid, alone or anywhere in Meta's shape (even cut short), is whole or a stable keyed digest", () => {
    const mask = wamidMask(stack.services.vault, t.workspaceId);
    const digest = mask(WAMID);
    expect(digest).toMatch(/^wamid\.masked\.[A-Za-z0-9_-]{22}$/);
    expect(mask(WAMID)).toBe(digest);
    expect(mask(digest)).toBe(digest); // already a digest (an erased contact's): as it is
    expect(wamidMask(stack.services.vault, randomUUID())(WAMID)).not.toBe(digest); // keyed by workspace too
    expect(presentPhones({ wamid: wamid(WAMID, mask) }, true)).toEqual({ wamid: WAMID });
    expect(presentPhones({ wamid: wamid(WAMID, mask) }, false)).toEqual({ wamid: digest });
    expect(JSON.stringify({ wamid: wamid(WAMID, mask) })).toBe(JSON.stringify({ wamid: digest })); // forgotten: masked
    const item = { id: WAMID, from: NUMBER, context: { id: WAMID }, reaction: { message_id: WAMID } };
    expect(presentPhones(phoneBearing(item, mask), false)).toEqual({ id: digest, from: MASKED, context: { id: digest }, reaction: { message_id: digest } });
    const cut = presentPhones(phoneBearing(JSON.stringify(item).slice(0, -3), mask), false) as string;
    expect(cut).toContain(digest);
    noDecodableNumber(cut);
    expect(JSON.parse(maskWebhookBody(JSON.stringify({ type: "message.delivered", data: { id: "m", wamid: WAMID, to: NUMBER } }), mask)).data.wamid).toBe(digest);
  });

  it("a Standard Webhooks body keeps message.received's `to` (the business's phone-number id)", () => {
    const body = JSON.stringify({ type: "message.received", timestamp: "t", data: { from: NUMBER, to: "1098765432", message: { from: NUMBER } } });
    const mask = wamidMask(stack.services.vault, t.workspaceId);
    expect(JSON.parse(maskWebhookBody(body, mask))).toEqual({ type: "message.received", timestamp: "t", data: { from: MASKED, to: "1098765432", message: { from: MASKED } } });
    const sent = JSON.stringify({ type: "message.sent", timestamp: "t", data: { id: "m", to: NUMBER } });
    expect(JSON.parse(maskWebhookBody(sent, mask)).data.to).toBe(MASKED);
  });
});

describe("API answers", () => {
  it("messages: the list, one message and its content", async () => {
    for (const path of ["/v1/messages", `/v1/messages/${messageId}`, `/v1/messages?to=${phoneNumberId}`]) {
      const m = await call(masked, path);
      expect(m.status, m.text).toBe(200);
      expect(m.text).toContain(MASKED);
      noWholeNumber(m.text);
      const w = await call(whole, path);
      expect(w.text).toContain(NUMBER);
      expect(w.text).not.toContain(MASKED);
    }
    const one = JSON.parse((await call(masked, `/v1/messages/${messageId}`)).text);
    expect(one).toMatchObject({ from: MASKED, to: phoneNumberId, content: { from: MASKED } });
  });

  it("messages: a masked key is given the wamid's digest, the same in the list, one message and its content, read after read", async () => {
    const digest = wamidMask(stack.services.vault, t.workspaceId)(WAMID);
    for (const path of ["/v1/messages", `/v1/messages/${messageId}`]) {
      const first = await call(masked, path);
      noDecodableNumber(first.text);
      expect(digestsIn(first.text)).toEqual([digest]);
      expect(digestsIn((await call(masked, path)).text)).toEqual([digest]);
      const w = await call(whole, path);
      expect(w.text).toContain(WAMID);
      expect(w.text).not.toContain("wamid.masked.");
    }
    const one = JSON.parse((await call(masked, `/v1/messages/${messageId}`)).text);
    expect(one).toMatchObject({ wamid: digest, content: { id: digest } });
    expect(JSON.parse((await call(whole, `/v1/messages/${messageId}`)).text)).toMatchObject({ wamid: WAMID, content: { id: WAMID } });
  });

  it("the messages export is made as its requester was shown: a masked key's file has digests, an unmasked key's the wamid", async () => {
    const file = async (key: string) => {
      const asked = await call(key, "/v1/exports", { method: "POST", body: JSON.stringify({ kind: "messages", format: "csv" }), headers: { "content-type": "application/json" } });
      expect(asked.status, asked.text).toBeLessThan(300);
      const id = JSON.parse(asked.text).id as string;
      await stack.owner`update exports set status = 'queued' where id = ${id}`; // approved (the approval path is export-approvals')
      expect(await produceExport(stack.services, { workspaceId: t.workspaceId, exportId: id })).toBe("ready");
      const got = await call(key, `/v1/exports/${id}/download`);
      expect(got.status, got.text).toBe(200);
      return got.text;
    };
    const digest = wamidMask(stack.services.vault, t.workspaceId)(WAMID);
    const m = await file(masked);
    expect(m).toContain(digest);
    noDecodableNumber(m);
    noWholeNumber(m);
    const w = await file(whole);
    expect(w).toContain(WAMID);
    expect(w).not.toContain("wamid.masked.");
  });

  it("contacts: the list and one contact", async () => {
    const list = await call(masked, "/v1/contacts");
    expect(JSON.parse(list.text).data[0].wa_id).toBe(MASKED);
    noWholeNumber(list.text);
    const id = JSON.parse(list.text).data[0].id;
    const one = await call(masked, `/v1/contacts/${id}`);
    expect(JSON.parse(one.text).wa_id).toBe(MASKED);
    expect(JSON.parse((await call(whole, `/v1/contacts/${id}`)).text).wa_id).toBe(NUMBER);
  });

  it("the contacts export (CSV)", async () => {
    const m = await call(masked, "/v1/contacts/export");
    expect(m.status, m.text).toBe(200);
    expect(m.text.split("\n")[1]).toMatch(/^'?\+91 98••• ••210,/);
    noWholeNumber(m.text);
    expect((await call(whole, "/v1/contacts/export")).text.split("\n")[1]).toMatch(new RegExp(`^${NUMBER},`));
  });

  it("broadcast recipients, as JSON and as CSV", async () => {
    const [n] = await stack.owner`select id from whatsapp_numbers where phone_number_id = ${phoneNumberId}`;
    const broadcastId = randomUUID();
    await stack.owner`insert into broadcasts (id, workspace_id, whatsapp_number_id, name, template, audience) values (${broadcastId}, ${t.workspaceId}, ${n!.id}, 'b', ${stack.owner.json({ name: "t", language: { code: "en" } })}, ${stack.owner.json({})})`;
    await stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, broadcast_id) values (${randomUUID()}, ${t.workspaceId}, ${n!.id}, 'outbound', ${NUMBER}, 'template', ${stack.owner.json({ to: NUMBER })}, 'failed', ${broadcastId})`;
    const json = await call(masked, `/v1/broadcasts/${broadcastId}/recipients`);
    expect(json.status, json.text).toBe(200);
    expect(JSON.parse(json.text).data[0].wa_id).toBe(MASKED);
    noWholeNumber(json.text);
    const csv = await call(masked, `/v1/broadcasts/${broadcastId}/recipients`, { headers: { accept: "text/csv" } });
    expect(csv.status, csv.text).toBe(200);
    expect(csv.text).toContain(MASKED);
    noWholeNumber(csv.text);
    expect((await call(whole, `/v1/broadcasts/${broadcastId}/recipients`, { headers: { accept: "text/csv" } })).text).toContain(`,${NUMBER},`);
  });

  it("the Graph-compatible send answers the recipient masked to a masked key", async () => {
    const wait = stack.services.config.graph.sendWaitMs;
    stack.services.config.graph.sendWaitMs = 0;
    try {
      const body = JSON.stringify({ messaging_product: "whatsapp", to: NUMBER, type: "text", text: { body: "hi" } });
      const m = await call(masked, `/v21.0/${phoneNumberId}/messages`, { method: "POST", body, headers: { "content-type": "application/json" } });
      expect(m.status, m.text).toBe(200);
      expect(JSON.parse(m.text).contacts[0]).toEqual({ input: MASKED, wa_id: MASKED });
      const w = await call(whole, `/v21.0/${phoneNumberId}/messages`, { method: "POST", body, headers: { "content-type": "application/json" } });
      expect(JSON.parse(w.text).contacts[0]).toEqual({ input: NUMBER, wa_id: NUMBER });
    } finally {
      stack.services.config.graph.sendWaitMs = wait;
    }
  });
});

describe("the Graph-compatible send's wamid", () => {
  it("is Meta's to an unmasked key and its stable digest to a masked one", async () => {
    const mask = wamidMask(stack.services.vault, t.workspaceId);
    const body = JSON.stringify({ messaging_product: "whatsapp", to: NUMBER, type: "text", text: { body: "hi" } });
    // The send job is not consumed here: the test records Meta's wamid on the message the answer waits for.
    const answered = async (key: string) => {
      const known = new Set((await stack.owner<{ id: string }[]>`select id from messages where workspace_id = ${t.workspaceId}`).map((r) => r.id));
      const pending = call(key, `/v21.0/${phoneNumberId}/messages`, { method: "POST", body, headers: { "content-type": "application/json" } });
      const [row] = await eventually(
        async () => (await stack.owner<{ id: string }[]>`select id from messages where workspace_id = ${t.workspaceId} and direction = 'outbound'`).filter((r) => !known.has(r.id)),
        (rows) => rows.length === 1,
        60_000,
      );
      const sent = newWamid(NUMBER);
      await stack.owner`update messages set wamid = ${sent} where id = ${row!.id}`;
      const r = await pending;
      expect(r.status, r.text).toBe(200);
      return { sent, text: r.text, id: JSON.parse(r.text).messages[0].id as string };
    };
    const wait = stack.services.config.graph.sendWaitMs;
    stack.services.config.graph.sendWaitMs = 60_000; // generous: the answer comes as soon as the wamid is recorded
    try {
      const m = await answered(masked);
      expect(m.id).toBe(mask(m.sent));
      noDecodableNumber(m.text);
      const w = await answered(whole);
      expect(w.id).toBe(w.sent);
    } finally {
      stack.services.config.graph.sendWaitMs = wait;
    }
  });
});

describe("outgoing webhooks", () => {
  it("an endpoint made by a masked key gets masked payloads, in both shapes; one made by an unmasked key whole ones", async () => {
    const bodies = async (id: string) => (await stack.owner`select body from webhook_deliveries where endpoint_id = ${id}`).map((r) => r.body as string);
    const [std] = await bodies(endpoints.masked!);
    expect(JSON.parse(std!)).toMatchObject({ type: "message.received", data: { from: MASKED, to: phoneNumberId, message: { from: MASKED } } });
    noWholeNumber(std!);
    // The wamid's digest, the same the API answers the key: a message and its statuses still correlate.
    const digest = wamidMask(stack.services.vault, t.workspaceId)(WAMID);
    noDecodableNumber(std!);
    expect(digestsIn(std!)).toEqual([digest]);
    const [meta] = await bodies(endpoints.maskedMeta!);
    noDecodableNumber(meta!);
    expect(digestsIn(meta!)).toEqual([digest]);
    const value = JSON.parse(meta!).entry[0].changes[0].value;
    expect(value).toMatchObject({ contacts: [{ wa_id: MASKED }], messages: [{ from: MASKED }], metadata: { phone_number_id: phoneNumberId } });
    noWholeNumber(meta!);
    const [full] = await bodies(endpoints.whole!);
    expect(JSON.parse(full!).data.from).toBe(NUMBER);
    expect(full).toContain(WAMID);
  });

  it("a masked key that changes an unmasked endpoint makes it mask from then on", async () => {
    const r = await call(masked, `/v1/webhook-endpoints/${endpoints.whole}`, { method: "PATCH", body: JSON.stringify({ url: "http://127.0.0.1:9/moved" }) });
    expect(r.status, r.text).toBe(200);
    expect(JSON.parse(r.text).masks_phones).toBe(true);
  });
});

describe("the dashboard", () => {
  it("agents and viewers see numbers masked, owners whole; a member granted unmasked numbers sees them whole", async () => {
    const id = (await stack.owner`select id from contacts where workspace_id = ${t.workspaceId} and wa_id = ${NUMBER}`)[0]!.id;
    const pages = ["/app/contacts", `/app/contacts/${id}`, "/app/messages", `/app/messages/${messageId}`];
    const owner = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "owner" });
    for (const p of pages) expect(visibleText((await owner.get(p)).html), p).toContain("+91 98123 45210");
    // The message's content (Meta's shape) too: whole for the owner, masked below.
    expect(visibleText((await owner.get(`/app/messages/${messageId}`)).html)).toContain(`"from": "${NUMBER}"`);
    expect((await owner.get(`/app/messages/${messageId}`)).html).toContain(WAMID);
    for (const role of ["agent", "viewer"] as const) {
      const b = await signedInBrowser(stack, { workspaceId: t.workspaceId, role });
      for (const p of pages) {
        const page = await b.get(p);
        expect(page.status, p).toBe(200);
        expect(visibleText(page.html), `${role} ${p}`).toContain(MASKED);
        noWholeNumber(visibleText(page.html));
        noDecodableNumber(page.html);
      }
      const r = await setPhonesUnmasked(stack.services, t.workspaceId, b.who.userId, true, { actorType: "user", actorId: owner.who.userId });
      expect(r.changed).toBe(true);
      for (const p of pages) expect(visibleText((await b.get(p)).html), `${role} granted ${p}`).toContain("+91 98123 45210");
    }
    const audit = await stack.owner`select actor_id, object_id, details from audit_log where workspace_id = ${t.workspaceId} and action = 'member.phones_unmasked'`;
    expect(audit).toHaveLength(2);
    expect(audit[0]!.details).toEqual({ before: false, after: true });
  });

  it("the operator grants and withdraws unmasked numbers with npm run admin -- user unmask|mask", async () => {
    const agent = await signedInBrowser(stack, { workspaceId: t.workspaceId, role: "agent" });
    // The CLI works through the owner's connection, as dev/admin/cli.ts builds it.
    const cli = createNodeServices(stack.config, { databaseUrl: stack.config.migrationDatabaseUrl, dbMax: 2 });
    try {
      const deps = { migrationUrl: stack.config.migrationDatabaseUrl, services: async () => cli, readStdin: async () => "" };
      const on = await runCommand(["user", "unmask"], { workspace: t.workspaceId, id: agent.who.userId }, deps);
      expect(on.json).toEqual({ workspace_id: t.workspaceId, user_id: agent.who.userId, phones_unmasked: true, changed: true });
      expect(visibleText((await agent.get("/app/contacts")).html)).toContain("+91 98123 45210");
      await runCommand(["user", "mask"], { workspace: t.workspaceId, id: agent.who.userId }, deps);
      expect(visibleText((await agent.get("/app/contacts")).html)).toContain(MASKED);
      await expect(runCommand(["user", "unmask"], { workspace: t.workspaceId, id: randomUUID() }, deps)).rejects.toMatchObject({ status: 404 });
    } finally {
      await cli.close();
    }
  });
});
