import { createHmac } from "node:crypto";

/**
 * Meta's webhook payloads, in the shapes of the Cloud API's published samples, for
 * tests that drive /webhooks/meta directly.
 */
export const sign = (secret: string, body: string) => `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

export const envelope = (phoneNumberId: string, value: Record<string, unknown>, wabaId = "102290129340398") => ({
  object: "whatsapp_business_account",
  entry: [{ id: wabaId, changes: [{ field: "messages", value: { messaging_product: "whatsapp", metadata: { display_phone_number: "15550783881", phone_number_id: phoneNumberId }, ...value } }] }],
});

export const statusValue = (wamid: string, status: string, ts: number, recipient = "919876543210", extra: Record<string, unknown> = {}) => ({
  statuses: [
    {
      id: wamid,
      status,
      timestamp: String(ts),
      recipient_id: recipient,
      ...(status !== "read" && status !== "failed"
        ? { conversation: { id: "6ceb9d929c7f1b9a0f7ae87ac0d0b4b0", expiration_timestamp: String(ts + 86400), origin: { type: "utility" } }, pricing: { billable: true, pricing_model: "PMP", category: "utility", type: "regular" } }
        : {}),
      ...extra,
    },
  ],
});

const base = (from: string, id: string, ts: number) => ({ from, id, timestamp: String(ts) });

/** One sample of every inbound type Meta documents. */
export const INBOUND_SAMPLES: Record<string, (from: string, id: string, ts: number) => Record<string, unknown>> = {
  text: (f, i, t) => ({ ...base(f, i, t), type: "text", text: { body: "Hello, is my order on its way?" } }),
  image: (f, i, t) => ({ ...base(f, i, t), type: "image", image: { caption: "the parcel", mime_type: "image/jpeg", sha256: "aGFzaA==", id: "1003383421387256" } }),
  document: (f, i, t) => ({ ...base(f, i, t), type: "document", document: { filename: "invoice.pdf", mime_type: "application/pdf", sha256: "aGFzaA==", id: "1003383421387257" } }),
  audio: (f, i, t) => ({ ...base(f, i, t), type: "audio", audio: { mime_type: "audio/ogg; codecs=opus", sha256: "aGFzaA==", id: "1003383421387258", voice: true } }),
  video: (f, i, t) => ({ ...base(f, i, t), type: "video", video: { mime_type: "video/mp4", sha256: "aGFzaA==", id: "1003383421387259" } }),
  sticker: (f, i, t) => ({ ...base(f, i, t), type: "sticker", sticker: { mime_type: "image/webp", sha256: "aGFzaA==", id: "1003383421387260", animated: false } }),
  location: (f, i, t) => ({ ...base(f, i, t), type: "location", location: { latitude: 12.9716, longitude: 77.5946, name: "MG Road", address: "Bengaluru" } }),
  contacts: (f, i, t) => ({ ...base(f, i, t), type: "contacts", contacts: [{ name: { formatted_name: "Asha Rao", first_name: "Asha" }, phones: [{ phone: "+91 98450 00000", wa_id: "919845000000", type: "CELL" }] }] }),
  interactive_button: (f, i, t) => ({ ...base(f, i, t), type: "interactive", interactive: { type: "button_reply", button_reply: { id: "track", title: "Track order" } } }),
  interactive_list: (f, i, t) => ({ ...base(f, i, t), type: "interactive", interactive: { type: "list_reply", list_reply: { id: "size_m", title: "Medium", description: "Chest 38-40" } } }),
  interactive_flow: (f, i, t) => ({ ...base(f, i, t), type: "interactive", interactive: { type: "nfm_reply", nfm_reply: { response_json: '{"flow_token":"x"}', body: "Sent", name: "flow" } } }),
  button: (f, i, t) => ({ ...base(f, i, t), type: "button", context: { from: "15550783881", id: "wamid.HBgLMTU1NTA3ODM4ODEVAgARGBI" }, button: { text: "Yes, deliver", payload: "CONFIRM" } }),
  reaction: (f, i, t) => ({ ...base(f, i, t), type: "reaction", reaction: { message_id: "wamid.HBgLMTU1NTA3ODM4ODEVAgARGBI", emoji: "👍" } }),
  order: (f, i, t) => ({ ...base(f, i, t), type: "order", order: { catalog_id: "1234", text: "", product_items: [{ product_retailer_id: "sku-1", quantity: "2", item_price: "499", currency: "INR" }] } }),
  unsupported: (f, i, t) => ({ ...base(f, i, t), type: "unsupported", errors: [{ code: 131051, title: "Message type unknown", message: "Message type unknown", error_data: { details: "Message type is currently not supported." } }] }),
};

export const inboundValue = (msg: Record<string, unknown>, name = "Asha") => ({
  contacts: [{ profile: { name }, wa_id: msg.from }],
  messages: [msg],
});
