import { WhatsAppClient } from "@kapso/whatsapp-cloud-api";
import { normalizeWebhook, verifySignature } from "@kapso/whatsapp-cloud-api/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "./support/eventually.js";
import { useWorkedStack } from "./support/job-kit.js";
import { serveStack } from "./support/served.js";

/**
 * End to end with a Cloud API SDK on both sides: it sends through Sandesh's Graph route,
 * Meta (the sandbox) reports the statuses, and the SDK's webhook helpers read what a
 * `format: "meta"` endpoint receives, as they would read Meta's own webhook.
 */
const w = useWorkedStack();
let served: { url: string; close(): Promise<void> };
beforeAll(async () => void (served = await serveStack(w.stack)));
afterAll(() => served?.close());

const USER = "919822044441";
const PATH = "/meta-sdk";

describe("a meta-format endpoint read by a Cloud API SDK's webhook helpers", () => {
  it("gets the inbound message and the statuses of an SDK's send, with the SDK's own biz_opaque_callback_data", async () => {
    const res = await w.stack.request("/v1/webhook-endpoints", { method: "POST", headers: { authorization: `Bearer ${w.s.key}` }, body: JSON.stringify({ url: `${w.receiver.url}${PATH}`, format: "meta" }) });
    expect(res.status).toBe(201);
    const { secret } = (await res.json()) as { secret: string };
    const phoneNumberId = w.s.number.phone_number_id;
    const read = async () =>
      w.receiver.on(PATH).map((r) => {
        expect(verifySignature({ appSecret: secret, rawBody: r.body, signatureHeader: r.headers["x-hub-signature-256"] as string })).toBe(true);
        return normalizeWebhook(JSON.parse(r.body));
      });

    const inbound = await w.sandbox.sendInbound({ phoneNumberId, from: USER, type: "text", payload: { body: "hi" } });
    const [first] = await eventually(read, (x) => x.some((p) => p.messages.length));
    expect(first).toMatchObject({ object: "whatsapp_business_account", phoneNumberId });
    expect(first!.displayPhoneNumber).toMatch(/^\d+$/);
    expect(first!.messages[0]).toMatchObject({ id: inbound.id, from: USER, type: "text" });

    const client = new WhatsAppClient({ baseUrl: served.url, accessToken: w.s.key, graphVersion: "v23.0" });
    const sent = await client.messages.sendText({ phoneNumberId, to: USER, body: "Namaste", bizOpaqueCallbackData: "sdk-1" });
    const wamid = sent.messages[0]!.id;
    const statuses = async () => (await read()).flatMap((p) => p.statuses).filter((s) => s.id === wamid);
    const got = await eventually(statuses, (x) => ["sent", "delivered", "read"].every((st) => x.some((s) => s.status === st)));
    for (const s of got) expect(s).toMatchObject({ recipientId: USER, bizOpaqueCallbackData: "sdk-1" });
    // One `sent` (from Meta's answer; Meta's own sent webhook is its duplicate), its wamid Meta's.
    expect(got.filter((s) => s.status === "sent")).toHaveLength(1);
    expect(w.sandbox.sent.filter((m) => m.id === wamid)).toHaveLength(1);
  });
});
