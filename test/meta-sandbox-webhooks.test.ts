import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { INBOUND_TYPES, retryDelayMs, signMetaBody } from "../dev/meta-sandbox/index.js";
import { eventually } from "./support/eventually.js";
import { freePort } from "./support/private-servers.js";
import { SECRET, PNID, TOKEN, USER, sandbox, receiver, validSignature, send, text, template, statusOf } from "./support/meta-sandbox-kit.js";

/** A receiver on a given port (one that was refusing connections until now). */
async function listenOn(port: number) {
  const bodies: string[] = [];
  const server = createServer(async (req, res) => {
    let body = "";
    for await (const c of req) body += String(c);
    bodies.push(body);
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { bodies, close: () => new Promise<void>((resolve) => (server.close(() => resolve()), server.closeAllConnections())) };
}

/** The Meta sandbox's webhooks: status and inbound deliveries a receiver verifies with nothing but the app secret. */
describe("status webhooks", () => {
  it("arrive as sent → delivered → read in Meta's shape, signed over the exact bytes", async () => {
    const hook = await receiver();
    const meta = await sandbox({ webhookUrl: hook.url });
    meta.registerNumber(PNID, TOKEN, { displayPhoneNumber: "15551234567", wabaId: "987654321" });
    const wamid = (await send(meta, text(USER))).json.messages[0].id;
    const got = await hook.waitFor(3);

    for (const r of got) {
      expect(validSignature(r)).toBe(true);
      expect(validSignature(r, "another-secret")).toBe(false);
      expect(r.headers["content-type"]).toBe("application/json");
      expect(r.json).toEqual({
        object: "whatsapp_business_account",
        entry: [{ id: "987654321", changes: [{ value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15551234567", phone_number_id: PNID }, statuses: [expect.any(Object)] }, field: "messages" }] }],
      });
    }
    const [sent, delivered, read] = got.map(statusOf);
    const conversation = { id: expect.stringMatching(/^[0-9a-f]{32}$/), origin: { type: "service" } };
    const pricing = { billable: false, pricing_model: "CBP", category: "service" };
    const ts = expect.stringMatching(/^\d{10}$/);
    expect(sent).toEqual({ id: wamid, status: "sent", timestamp: ts, recipient_id: USER, conversation: { ...conversation, expiration_timestamp: ts }, pricing });
    expect(delivered).toEqual({ id: wamid, status: "delivered", timestamp: ts, recipient_id: USER, conversation, pricing });
    expect(read).toEqual({ id: wamid, status: "read", timestamp: ts, recipient_id: USER });
    expect(delivered.conversation.id).toBe(sent.conversation.id);
    expect(Number(sent.conversation.expiration_timestamp) - Number(sent.timestamp)).toBeGreaterThan(23 * 3600);
  });

  it("bill a template in its category, share its conversation, and echo biz_opaque_callback_data", async () => {
    const hook = await receiver();
    const meta = await sandbox({ webhookUrl: hook.url });
    await send(meta, template(USER, "order_update"));
    await send(meta, { ...template(USER, "shipping_update"), biz_opaque_callback_data: "order-42" });
    await meta.idle();
    const sent = hook.accepted.map(statusOf).filter((s) => s.status === "sent");
    expect(sent).toHaveLength(2);
    expect(sent[0].pricing).toEqual({ billable: true, pricing_model: "CBP", category: "utility" });
    expect(sent[0].conversation.origin).toEqual({ type: "utility" });
    expect(sent[1].conversation.id).toBe(sent[0].conversation.id);
    expect(sent[1].biz_opaque_callback_data).toBe("order-42");
    expect(sent[0]).not.toHaveProperty("biz_opaque_callback_data");
  });

  it.each([
    ["0009", ["sent", "failed"], 131026],
    ["1047", ["failed"], 131047],
    ["0049", ["failed"], 131049],
    ["0007", ["sent", "delivered"], null],
    ["0008", ["sent", "read", "delivered"], null],
    ["0002", ["sent", "sent", "delivered", "delivered", "read", "read"], null],
  ])("recipe …%s posts %j", async (suffix, expected, code) => {
    const hook = await receiver();
    const meta = await sandbox({ webhookUrl: hook.url });
    const res = await send(meta, text(`1555000${suffix}`));
    expect(res.status).toBe(200);
    await meta.idle();
    const statuses = hook.accepted.map(statusOf);
    expect(statuses.map((s) => s.status)).toEqual(expected);
    expect(new Set(statuses.map((s) => s.id))).toEqual(new Set([res.json.messages[0].id]));
    const failed = statuses.find((s) => s.status === "failed");
    if (code !== null) {
      expect(failed).toEqual({ id: res.json.messages[0].id, status: "failed", timestamp: expect.any(String), recipient_id: `1555000${suffix}`, errors: [{ code, title: expect.any(String), message: expect.any(String), error_data: { details: expect.any(String) } }] });
    }
  });

  it("are retried with backoff when the receiver fails", async () => {
    const flaky = await receiver((n) => (n < 2 ? 500 : 200));
    const meta = await sandbox({ webhookUrl: flaky.url });
    await send(meta, text(USER));
    const [first] = await flaky.waitFor(1);
    expect(statusOf(first!).status).toBe("sent");
    expect(flaky.requests.slice(0, 3).map((r) => statusOf(r).status)).toEqual(["sent", "sent", "sent"]);
    await meta.idle();
    expect(meta.deliveries[0]).toMatchObject({ ok: true, status: 200, attempts: 3 });
  });

  it("keep coming on Meta's schedule while the receiver is down, and arrive once it is back", async () => {
    // A port nobody listens on: connection refused, as when Sandesh is stopped.
    const port = await freePort();
    const meta = await sandbox({ webhookUrl: `http://127.0.0.1:${port}/webhooks/meta` });
    const schedule = meta.webhookRetry;
    expect(schedule).toMatchObject({ firstRetryMs: 1000, maxRetryMs: 3_600_000, giveUpAfterMs: 7 * 24 * 3_600_000 });
    const posted = meta.sendInbound({ phoneNumberId: PNID, from: USER, type: "text" });
    // Several retries go nowhere...
    await eventually(async () => meta.waitingWebhooks()[0]?.attempts ?? 0, (n) => n >= 5, 10_000);
    // ...then the receiver is back (same address), and the next retry is delivered.
    const hook = await listenOn(port);
    const { delivery } = await posted.finally(() => hook.close());
    expect(delivery).toMatchObject({ ok: true, status: 200 });
    expect(delivery.attempts).toBeGreaterThanOrEqual(6);
    expect(hook.bodies).toHaveLength(1);
    // The schedule, from the attempts as they ran: each wait at least the model's, doubling.
    const waits = delivery.attemptedAt.slice(1).map((t, i) => t - delivery.attemptedAt[i]!);
    const model = waits.map((_, i) => retryDelayMs(schedule, i + 1));
    expect(model.slice(0, 4)).toEqual([10, 20, 40, 80]);
    waits.forEach((w, i) => expect(w, `wait before retry ${i + 1}`).toBeGreaterThanOrEqual(model[i]! - 1));
    expect(meta.waitingWebhooks()).toEqual([]);
    expect((await send(meta, text(USER))).status).toBe(200);
  });

  it("stop after the give-up time, and keep memory bounded: past the cap the longest-waiting delivery is given up", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/webhooks/meta`;
    const brief = await sandbox({ webhookUrl: url, webhookRetry: { timeScale: 0.01, giveUpAfterMs: 3000 } });
    const given = (await brief.sendInbound({ phoneNumberId: PNID, from: USER, type: "text" })).delivery;
    expect(given).toMatchObject({ ok: false, attempts: expect.any(Number) });
    expect(given.attempts).toBeGreaterThanOrEqual(2);
    expect(given.dropped).toBeUndefined();

    const capped = await sandbox({ webhookUrl: url, webhookMaxPending: 2 });
    const three = [1, 2, 3].map(() => capped.sendInbound({ phoneNumberId: PNID, from: USER, type: "text" }));
    const first = await three[0]!;
    expect(first.delivery).toMatchObject({ ok: false, dropped: true });
    expect(capped.waitingWebhooks().length).toBeLessThanOrEqual(2);
  });

  it("not yet delivered when the sandbox stops, are kept in its spool and posted, in order, by the next one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sandbox-spool-"));
    try {
      const port = await freePort();
      const url = `http://127.0.0.1:${port}/webhooks/meta`;
      const before = await sandbox({ webhookUrl: url, webhookSpool: dir });
      const wamid = (await send(before, text(USER))).json.messages[0].id;
      // Its `sent` fails (nobody listens) and waits for a retry; the process stops.
      await eventually(async () => before.waitingWebhooks().length, (n) => n === 1, 10_000);
      await before.close();
      expect(readdirSync(dir).filter((f) => f.endsWith(".json"))).toHaveLength(1);

      const hook = await listenOn(port);
      try {
        const after = await sandbox({ webhookUrl: url, webhookSpool: dir });
        await after.idle();
        const statuses = hook.bodies.map((b) => JSON.parse(b).entry[0].changes[0].value.statuses[0]);
        expect(statuses.map((st: { id: string; status: string }) => [st.id, st.status])).toEqual([[wamid, "sent"], [wamid, "delivered"], [wamid, "read"]]);
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        await hook.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("go to a URL set later with POST /_sandbox/config, and nowhere when none is set", async () => {
    const hook = await receiver();
    const meta = await sandbox();
    await send(meta, text(USER));
    await meta.idle();
    expect(meta.deliveries).toEqual([]);
    const res = await fetch(`${meta.url}/_sandbox/config`, { method: "POST", body: JSON.stringify({ webhook_url: hook.url }) });
    expect(await res.json()).toMatchObject({ webhook_url: hook.url });
    const wamid = (await send(meta, text(USER))).json.messages[0].id;
    expect((await hook.waitFor(3)).map((r) => statusOf(r).id)).toEqual([wamid, wamid, wamid]);
  });
});

describe("inbound messages", () => {
  const contentKeys: Record<string, string[] | null> = {
    text: ["body"],
    image: ["caption", "mime_type", "sha256", "id"],
    document: ["caption", "filename", "mime_type", "sha256", "id"],
    audio: ["mime_type", "sha256", "id", "voice"],
    video: ["caption", "mime_type", "sha256", "id"],
    sticker: ["mime_type", "sha256", "id", "animated"],
    location: ["latitude", "longitude", "name", "address"],
    contacts: null,
    interactive: ["type", "button_reply"],
    button: ["payload", "text"],
    reaction: ["message_id", "emoji"],
    order: ["catalog_id", "text", "product_items"],
    system: ["body", "new_wa_id", "type"],
    unsupported: null,
  };

  it("covers every type Meta sends", () => {
    expect([...INBOUND_TYPES].sort()).toEqual(Object.keys(contentKeys).sort());
  });

  it.each(INBOUND_TYPES.map((t) => [t]))("%s arrives signed, in Meta's shape", async (type) => {
    const hook = await receiver();
    const meta = await sandbox({ webhookUrl: hook.url });
    meta.registerNumber(PNID, TOKEN, { displayPhoneNumber: "15551234567", wabaId: "987654321" });
    const result = await meta.sendInbound({ phoneNumberId: PNID, from: USER, profileName: "Asha", type });
    const [r] = await hook.waitFor(1);
    expect(validSignature(r!)).toBe(true);
    expect(r!.raw.toString("utf8")).toBe(result.body);
    const value = r!.json.entry[0].changes[0].value;
    expect(r!.json.entry[0]).toMatchObject({ id: "987654321", changes: [{ field: "messages" }] });
    expect(value.metadata).toEqual({ display_phone_number: "15551234567", phone_number_id: PNID });
    if (type === "system") expect(value).not.toHaveProperty("contacts");
    else expect(value.contacts).toEqual([{ profile: { name: "Asha" }, wa_id: USER }]);
    const [msg] = value.messages;
    expect(msg).toMatchObject({ from: USER, id: result.id, timestamp: expect.stringMatching(/^\d{10}$/), type });
    expect(result.id).toMatch(/^wamid\./);
    const keys = contentKeys[type];
    if (type === "unsupported") {
      expect(msg).not.toHaveProperty("unsupported");
      expect(msg.errors).toEqual([{ code: 131051, title: expect.any(String), message: expect.any(String), error_data: { details: expect.any(String) } }]);
    } else if (type === "contacts") {
      expect(msg.contacts[0]).toMatchObject({ name: { formatted_name: expect.any(String) }, phones: [{ phone: expect.any(String), wa_id: expect.any(String) }] });
    } else {
      expect(Object.keys(msg[type]).sort()).toEqual([...keys!].sort());
    }
  });

  it("takes the test's payload and reply context over the defaults", async () => {
    const hook = await receiver();
    const meta = await sandbox({ webhookUrl: hook.url });
    await meta.sendInbound({ phoneNumberId: PNID, from: USER, type: "interactive", payload: { type: "list_reply", list_reply: { id: "r2", title: "Row 2", description: "second" } } });
    await meta.sendInbound({ phoneNumberId: PNID, from: USER, type: "button", payload: { payload: "YES", text: "Yes" }, context: { from: "15551234567", id: "wamid.original" } });
    const [list, button] = (await hook.waitFor(2)).map((r) => r.json.entry[0].changes[0].value.messages[0]);
    expect(list.interactive).toEqual({ type: "list_reply", list_reply: { id: "r2", title: "Row 2", description: "second" } });
    expect(button).toMatchObject({ context: { from: "15551234567", id: "wamid.original" }, button: { payload: "YES", text: "Yes" } });
  });

  it("can be posted over HTTP at POST /_sandbox/inbound", async () => {
    const hook = await receiver();
    const meta = await sandbox({ webhookUrl: hook.url });
    const res = await fetch(`${meta.url}/_sandbox/inbound`, { method: "POST", body: JSON.stringify({ phone_number_id: PNID, from: USER, profile_name: "Ravi", type: "text", payload: { body: "STOP" } }) });
    expect(await res.json()).toMatchObject({ id: expect.stringMatching(/^wamid\./), delivered: true, status: 200 });
    const [r] = await hook.waitFor(1);
    expect(r!.json.entry[0].changes[0].value.messages[0].text).toEqual({ body: "STOP" });
  });

  it("signMetaBody signs the bytes as a receiver verifies them", () => {
    const body = JSON.stringify({ note: "caf\u00e9 \u{1F600}" });
    expect(signMetaBody(SECRET, body)).toBe(`sha256=${createHmac("sha256", SECRET).update(Buffer.from(body, "utf8")).digest("hex")}`);
    expect(signMetaBody(SECRET, Buffer.from(body, "utf8"))).toBe(signMetaBody(SECRET, body));
  });
});
