import { normalizeWebhook, verifySignature } from "@kapso/whatsapp-cloud-api/server";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { withTenant } from "../db/tenant.js";
import { WEBHOOK_RETRIES } from "../lib/queue/port.js";
import { runWebhookAttempt } from "../lib/webhooks/deliver.js";
import { dispatchRecorded, recordEvents, type OutgoingEvent } from "../lib/webhooks/emit.js";
import { eventually } from "./support/eventually.js";
import { envelope, inboundValue, INBOUND_SAMPLES, sign, statusValue } from "./support/meta-payloads.js";
import { connectTestNumber, TEST_WABA_ID } from "./support/senders.js";
import { TEST_SECRETS, type TestStack } from "./support/stack.js";
import type { Received } from "./support/webhook-receiver.js";
import { webhookRig } from "./support/webhook-rig.js";

const rig = webhookRig();

let paths = 0;
/** A tenant with a number and one endpoint of the given format on the rig.receiver. */
async function subscriber(format?: "standard" | "meta", t?: Awaited<ReturnType<TestStack["tenant"]>>) {
  const tenant = t ?? (await rig.stack.tenant());
  const path = `/meta-format/${paths++}`;
  const api = (method: string, p: string, body?: unknown) =>
    rig.stack.request(`/v1/webhook-endpoints${p}`, { method, headers: { authorization: `Bearer ${tenant.key}` }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const res = await api("POST", "", { url: `${rig.receiver.url}${path}`, ...(format ? { format } : {}) });
  expect(res.status).toBe(201);
  const endpoint = await res.json();
  return { ...tenant, path, endpoint, secret: endpoint.secret as string, api, received: async () => rig.receiver.on(path) };
}

const postMeta = async (payload: unknown) => {
  const body = JSON.stringify(payload);
  const res = await rig.stack.request("/webhooks/meta", { method: "POST", body, headers: { "content-type": "application/json", "x-hub-signature-256": sign(TEST_SECRETS.META_APP_SECRET, body) } });
  expect(res.status).toBe(200);
};
const inbound = (phoneNumberId: string) => {
  const msg = INBOUND_SAMPLES.text!("919812345678", `wamid.in${crypto.randomUUID()}`, Math.floor(Date.now() / 1000)) as { from: string; id: string } & Record<string, unknown>;
  return { msg, payload: envelope(phoneNumberId, inboundValue(msg)) };
};
/** What an SDK's webhook handler does with a request: verify the header against the app secret, then parse. */
const sdkReads = (secret: string, r: Received) => {
  expect(verifySignature({ appSecret: secret, rawBody: r.body, signatureHeader: r.headers["x-hub-signature-256"] as string })).toBe(true);
  return normalizeWebhook(JSON.parse(r.body));
};

describe("webhook endpoints of format meta: Meta's envelope, signed as Meta signs", () => {
  it("format is standard unless chosen, is shown, can be changed, and anything else is 422 naming the field", async () => {
    const s = await subscriber();
    expect(s.endpoint.format).toBe("standard");
    const bad = await s.api("POST", "", { url: `${rig.receiver.url}/x`, format: "facebook" });
    expect(bad.status).toBe(422);
    expect((await bad.json()).error.details).toEqual([expect.objectContaining({ field: "format" })]);
    const patched = await s.api("PATCH", `/${s.endpoint.id}`, { format: "meta" });
    expect(patched.status).toBe(200);
    expect((await patched.json()).format).toBe("meta");
    expect((await (await s.api("GET", `/${s.endpoint.id}`)).json()).format).toBe("meta");
  });

  it("an inbound message arrives as Meta sent it; the SDK's verifySignature accepts it and normalizeWebhook parses it", async () => {
    const s = await subscriber("meta");
    const n = await connectTestNumber(rig.stack, s.workspaceId);
    const { msg, payload } = inbound(n.phone_number_id);
    await postMeta(payload);
    const [r] = await eventually(s.received, (x) => x.length === 1);
    expect(r!.headers["webhook-signature"]).toBeUndefined();
    expect(r!.headers["x-hub-signature-256"]).toMatch(/^sha256=[0-9a-f]{64}$/);
    // The envelope is Meta's own, value for value.
    expect(JSON.parse(r!.body)).toEqual(payload);
    const parsed = sdkReads(s.secret, r!);
    expect(parsed).toMatchObject({ object: "whatsapp_business_account", phoneNumberId: n.phone_number_id, displayPhoneNumber: "15550783881" });
    expect(parsed.messages).toEqual([expect.objectContaining({ id: msg.id, from: "919812345678", type: "text" })]);
    expect(parsed.contacts).toEqual([expect.objectContaining({ waId: "919812345678", profile: { name: "Asha" } })]);
    // A different secret is refused by the same helper.
    expect(verifySignature({ appSecret: `${s.secret}x`, rawBody: r!.body, signatureHeader: r!.headers["x-hub-signature-256"] as string })).toBe(false);
  });

  it("a status comes back with the client's own biz_opaque_callback_data, Sandesh's mark taken off", async () => {
    const s = await subscriber("meta");
    const n = await connectTestNumber(rig.stack, s.workspaceId);
    const messageId = crypto.randomUUID();
    const wamid = `wamid.out${crypto.randomUUID()}`;
    await rig.stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, wamid)
      values (${messageId}, ${s.workspaceId}, ${n.id}, 'outbound', '919876543210', 'text', '{}', 'sent', ${wamid})`;
    const ts = Math.floor(Date.now() / 1000);
    await postMeta(envelope(n.phone_number_id, statusValue(wamid, "delivered", ts, "919876543210", { biz_opaque_callback_data: `sandesh:${messageId}|order-42` })));
    await postMeta(envelope(n.phone_number_id, statusValue(wamid, "read", ts + 1, "919876543210", { biz_opaque_callback_data: `sandesh:${messageId}` })));
    const got = await eventually(s.received, (x) => x.length === 2);
    const statuses = got.map((r) => sdkReads(s.secret, r).statuses[0]!).sort((a, b) => a.status.localeCompare(b.status));
    expect(statuses[0]).toMatchObject({ id: wamid, status: "delivered", bizOpaqueCallbackData: "order-42" });
    expect(statuses[1]).toMatchObject({ id: wamid, status: "read" });
    expect(JSON.stringify(got.map((r) => r.body))).not.toContain("sandesh:");
    for (const r of got) expect(JSON.parse(r.body).entry[0].id).toBe(TEST_WABA_ID);
  });

  it("another workspace's traffic never reaches it", async () => {
    const mine = await subscriber("meta");
    const theirs = await subscriber("meta");
    const myNumber = await connectTestNumber(rig.stack, mine.workspaceId);
    await connectTestNumber(rig.stack, theirs.workspaceId);
    await postMeta(inbound(myNumber.phone_number_id).payload);
    await eventually(mine.received, (x) => x.length === 1);
    expect(await rig.stack.owner`select id from webhook_deliveries where endpoint_id = ${theirs.endpoint.id}`).toEqual([]);
    expect(await theirs.received()).toEqual([]);
  });

  it("Sandesh-only events (no Meta item behind them) are not sent to it; a standard endpoint beside it gets them", async () => {
    const t = await rig.stack.tenant();
    const meta = await subscriber("meta", t);
    const standard = await subscriber("standard", t);
    const optedOut: OutgoingEvent = { type: "contact.opted_out", timestamp: new Date(), data: { wa_id: "919812345678", keyword: "STOP" } };
    const sent: OutgoingEvent = { type: "message.failed", timestamp: new Date(), data: { id: crypto.randomUUID(), status: "failed", to: "919812345678", error: { reason: "retries_exhausted" } } };
    const n = await withTenant(rig.stack.services.db, t.workspaceId, (tx) => recordEvents(rig.stack.services, tx, t.workspaceId, [optedOut, sent]));
    expect(n).toBe(2);
    await dispatchRecorded(rig.stack.services, [t.workspaceId]);
    await eventually(standard.received, (x) => x.length === 2);
    expect(await rig.stack.owner`select id from webhook_deliveries where endpoint_id = ${meta.endpoint.id}`).toEqual([]);
  });

  it("retries as a standard endpoint does: the same body, signed again, and every attempt listed", async () => {
    const s = await subscriber("meta");
    const n = await connectTestNumber(rig.stack, s.workspaceId);
    rig.receiver.answer(s.path, [{ status: 500, body: "down" }, { status: 200 }]);
    // Recorded but not dispatched: the test runs the attempts by hand.
    const { msg } = inbound(n.phone_number_id);
    const messageId = crypto.randomUUID();
    await rig.stack.owner`insert into messages (id, workspace_id, whatsapp_number_id, direction, recipient, type, payload, status, wamid)
      values (${messageId}, ${s.workspaceId}, ${n.id}, 'inbound', ${msg.from}, 'text', ${rig.stack.owner.json(msg as never)}, 'received', ${msg.id})`;
    const event: OutgoingEvent = { type: "message.received", timestamp: new Date(), data: { id: messageId, wamid: msg.id }, meta: { message: msg, contact: { profile: { name: "Asha" }, wa_id: msg.from } } };
    await withTenant(rig.stack.services.db, s.workspaceId, (tx) => recordEvents(rig.stack.services, tx, s.workspaceId, [event]));
    const [d] = await rig.stack.owner<{ id: string }[]>`select id from webhook_deliveries where endpoint_id = ${s.endpoint.id}`;
    const job = { deliveryId: d!.id, workspaceId: s.workspaceId };
    expect(await runWebhookAttempt(rig.stack.services, job, { retried: 0, maxRetries: WEBHOOK_RETRIES })).toMatchObject({ kind: "scheduled", reason: "HTTP 500" });
    await rig.stack.owner`delete from sandesh_queue.job where name = 'webhook' and data->>'deliveryId' = ${d!.id}`;
    expect(await runWebhookAttempt(rig.stack.services, job, { retried: 1, maxRetries: WEBHOOK_RETRIES })).toEqual({ kind: "delivered", status: 200 });
    const got = await s.received();
    expect(got).toHaveLength(2);
    expect(got[0]!.body).toBe(got[1]!.body);
    for (const r of got) expect(sdkReads(s.secret, r).messages[0]).toMatchObject({ id: msg.id });
    const attempts = await (await s.api("GET", `/${s.endpoint.id}/attempts`)).json();
    expect(attempts.data.map((a: { status_code: number }) => a.status_code).sort()).toEqual([200, 500]);
  });

  it("a delivery recorded before a change of format goes out as it was recorded, and verifies", async () => {
    const s = await subscriber("standard");
    const event: OutgoingEvent = { type: "message.delivered", timestamp: new Date(), data: { id: crypto.randomUUID(), wamid: "wamid.x", status: "delivered", to: "919812345678" } };
    await withTenant(rig.stack.services.db, s.workspaceId, (tx) => recordEvents(rig.stack.services, tx, s.workspaceId, [event]));
    expect((await s.api("PATCH", `/${s.endpoint.id}`, { format: "meta" })).status).toBe(200);
    await dispatchRecorded(rig.stack.services, [s.workspaceId]);
    const [r] = await eventually(s.received, (x) => x.length === 1);
    expect(new Webhook(s.secret).verify(r!.body, r!.headers as Record<string, string>)).toMatchObject({ type: "message.delivered" });
    expect(r!.headers["x-hub-signature-256"]).toBeUndefined();
  });

  it("after a rotation it signs with the new secret", async () => {
    const s = await subscriber("meta");
    const n = await connectTestNumber(rig.stack, s.workspaceId);
    const rotated = await (await s.api("POST", `/${s.endpoint.id}/rotate-secret`)).json();
    await postMeta(inbound(n.phone_number_id).payload);
    const [r] = await eventually(s.received, (x) => x.length === 1);
    sdkReads(rotated.secret, r!);
  });
});
