import { randomBytes } from "node:crypto";
import { messagesEnvelope, newMediaId, newWamid, unixSeconds, type BusinessRef, type MetaEnvelope } from "./envelope.js";

/**
 * Inbound messages (a user writing to the business) in Meta's webhook shape: each
 * message is `{from, id, timestamp, type, <type>: {…}, context?}`, next to a
 * `contacts` array with the sender's profile name. `payload` replaces the defaults
 * below key by key, so a test states only what it cares about.
 */
export const INBOUND_TYPES = ["text", "image", "document", "audio", "video", "sticker", "location", "contacts", "interactive", "button", "reaction", "order", "system", "unsupported"] as const;
export type InboundType = (typeof INBOUND_TYPES)[number];

export interface InboundContext {
  /** The business number the replied-to message came from. */
  from?: string;
  /** The wamid replied to. */
  id?: string;
  forwarded?: boolean;
  frequently_forwarded?: boolean;
}

export interface InboundMessageSpec {
  from: string;
  type: InboundType;
  payload?: unknown;
  context?: InboundContext;
  id?: string;
  timestamp?: string;
}

const sha256 = () => randomBytes(32).toString("base64");
const media = (mime: string, extra: Record<string, unknown> = {}) => ({ ...extra, mime_type: mime, sha256: sha256(), id: newMediaId() });

function defaults(type: InboundType, from: string): unknown {
  switch (type) {
    case "text":
      return { body: "Hello" };
    case "image":
      return media("image/jpeg", { caption: "A photo" });
    case "document":
      return media("application/pdf", { caption: "The invoice", filename: "invoice.pdf" });
    case "audio":
      return { ...media("audio/ogg; codecs=opus"), voice: true };
    case "video":
      return media("video/mp4", { caption: "A clip" });
    case "sticker":
      return { ...media("image/webp"), animated: false };
    case "location":
      return { latitude: 19.076, longitude: 72.8777, name: "Gateway of India", address: "Apollo Bandar, Colaba, Mumbai" };
    case "contacts":
      return [{ name: { formatted_name: "Asha Rao", first_name: "Asha", last_name: "Rao" }, phones: [{ phone: "+91 98765 43210", wa_id: "919876543210", type: "CELL" }] }];
    case "interactive":
      return { type: "button_reply", button_reply: { id: "yes", title: "Yes" } };
    case "button":
      return { payload: "STOP", text: "Stop promotions" };
    case "reaction":
      return { message_id: newWamid("15550000000"), emoji: "\u{1F44D}" };
    case "order":
      return { catalog_id: "1234567890", text: "Please deliver tomorrow", product_items: [{ product_retailer_id: "sku-1", quantity: 2, item_price: 249.5, currency: "INR" }] };
    case "system":
      return { body: `User ${from} changed from ${from} to 15550009999`, new_wa_id: "15550009999", type: "user_changed_number" };
    case "unsupported":
      return undefined;
  }
}

function merge(base: unknown, over: unknown): unknown {
  if (over === undefined) return base;
  if (Array.isArray(over) || typeof over !== "object" || over === null || typeof base !== "object" || base === null || Array.isArray(base)) return over;
  // Another sub-type (list_reply instead of button_reply) shares nothing with the default.
  if ("type" in over && (over as { type: unknown }).type !== (base as { type?: unknown }).type) return over;
  return { ...base, ...over };
}

export function buildInboundMessage(spec: InboundMessageSpec): Record<string, unknown> {
  const msg: Record<string, unknown> = {
    ...(spec.context ? { context: spec.context } : {}),
    from: spec.from,
    id: spec.id ?? newWamid(spec.from),
    timestamp: spec.timestamp ?? unixSeconds(),
    type: spec.type,
  };
  if (spec.type === "unsupported") {
    // Meta names no content; it says why in `errors` (131051).
    msg.errors = [{ code: 131051, title: "Message type unknown", message: "Message type unknown", error_data: { details: "Message type is currently not supported." } }];
    return msg;
  }
  msg[spec.type] = merge(defaults(spec.type, spec.from), spec.payload);
  return msg;
}

export interface InboundEnvelopeSpec extends InboundMessageSpec {
  profileName?: string;
}

/** One inbound message in its envelope. System messages come without a `contacts` array. */
export function inboundEnvelope(biz: BusinessRef, spec: InboundEnvelopeSpec): MetaEnvelope {
  const message = buildInboundMessage(spec);
  const contacts = spec.type === "system" ? {} : { contacts: [{ profile: { name: spec.profileName ?? "Sandbox User" }, wa_id: spec.from }] };
  return messagesEnvelope(biz, { ...contacts, messages: [message] });
}
