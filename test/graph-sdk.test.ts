import { WhatsAppClient } from "@kapso/whatsapp-cloud-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { serveStack } from "./support/served.js";
import { connectTestNumber } from "./support/senders.js";
import { useWorkedStack } from "./support/job-kit.js";

/**
 * A real Cloud API SDK from npm (@kapso/whatsapp-cloud-api), pointed at Sandesh by its
 * base URL only, with a Sandesh API key as its access token: it sends a text and a
 * template and gets Meta's wamids back, and marks a message read with a typing indicator.
 */
const w = useWorkedStack();
let served: { url: string; close(): Promise<void> };
beforeAll(async () => void (served = await serveStack(w.stack)));
afterAll(() => served?.close());

const USER = "919822033331";
const sdk = () => new WhatsAppClient({ baseUrl: served.url, accessToken: w.s.key, graphVersion: "v23.0" });
const atMeta = (wamid: string) => w.sandbox.sent.filter((m) => m.id === wamid);

describe("a Cloud API SDK pointed at Sandesh's base URL", () => {
  it("sends a template and a text and gets the wamids Meta gave", async () => {
    const client = sdk();
    const tpl = await client.messages.sendTemplate({ phoneNumberId: w.s.number.phone_number_id, to: USER, template: { name: "order_update", language: { code: "en_US" }, components: [{ type: "body", parameters: [{ type: "text", text: "42" }] }] } });
    expect(tpl.messages[0]!.id).toMatch(/^wamid\./);
    expect(tpl.contacts?.[0]).toMatchObject({ input: USER, waId: USER });
    expect(atMeta(tpl.messages[0]!.id)).toHaveLength(1);
    expect(atMeta(tpl.messages[0]!.id)[0]!.body).toMatchObject({ messaging_product: "whatsapp", recipient_type: "individual", to: USER, type: "template", template: { name: "order_update", language: { code: "en_US" } } });

    // The contact writes first: a free-form text is inside the window.
    await w.sandbox.sendInbound({ phoneNumberId: w.s.number.phone_number_id, from: USER, type: "text", payload: { body: "hi" } });
    const txt = await client.messages.sendText({ phoneNumberId: w.s.number.phone_number_id, to: USER, body: "Namaste from an SDK", bizOpaqueCallbackData: "sdk-1" });
    expect(txt.messages[0]!.id).toMatch(/^wamid\./);
    const [sent] = atMeta(txt.messages[0]!.id);
    expect(sent!.body).toMatchObject({ to: USER, type: "text", text: { body: "Namaste from an SDK" } });
    expect(String(sent!.body.biz_opaque_callback_data)).toMatch(/\|sdk-1$/);
  });

  it("marks a message read with a typing indicator: {success: true}, and Meta got it as sent", async () => {
    const inbound = await w.sandbox.sendInbound({ phoneNumberId: w.s.number.phone_number_id, from: USER, type: "text", payload: { body: "are you there?" } });
    const r = await sdk().messages.markRead({ phoneNumberId: w.s.number.phone_number_id, messageId: inbound.id, typingIndicator: { type: "text" } });
    expect(r).toEqual({ success: true });
    const reads = w.sandbox.reads.filter((x) => x.messageId === inbound.id);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.body).toEqual({ messaging_product: "whatsapp", status: "read", message_id: inbound.id, typing_indicator: { type: "text" } });
  });

  it("sees Graph's errors as Graph's: another workspace's number does not exist", async () => {
    const other = await w.stack.tenant("Other");
    const theirs = await connectTestNumber(w.stack, other.workspaceId);
    const err = await sdk().messages.sendText({ phoneNumberId: theirs.phone_number_id, to: USER, body: "x" }).catch((e: unknown) => e);
    expect(err).toMatchObject({ httpStatus: 400, code: 100 });
    expect((await w.stack.owner`select count(*)::int as n from messages where workspace_id = ${other.workspaceId}`)[0]!.n).toBe(0);
  });
});
