import { sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { toHex, utf8 } from "../crypto/encoding.js";
import { readTag } from "../meta/tag.js";

/**
 * An endpoint with `format: "meta"` receives Meta's own envelope (`object`,
 * `entry[].changes[]`), one change per delivery, signed as Meta signs
 * (X-Hub-Signature-256 with the endpoint's secret as the app secret), so a Cloud API
 * SDK's webhook handler verifies and parses it unchanged.
 *
 * Only events that came from Meta have a Meta shape: inbound messages, the statuses
 * Meta reported, and `sent` on Meta's answer (sentStatus). What Sandesh alone knows
 * (`message.failed` by Sandesh's retries or a lost answer, contact.*, broadcast.*) is
 * not sent to such an endpoint. The item is the one Meta sent, unchanged but for Sandesh's mark in
 * biz_opaque_callback_data, which is taken off so the client's own value reads as sent.
 */
export interface MetaOrigin {
  /** A status as Meta sent it (`value.statuses[]`). */
  status?: Record<string, unknown>;
  /** An inbound message as Meta sent it (`value.messages[]`), with its sender's profile. */
  message?: Record<string, unknown>;
  contact?: { profile?: { name: string }; wa_id: string };
  /** Meta's own metadata.display_phone_number, where the ingest saw it. */
  displayPhoneNumber?: string;
}

/** The number a message went through: entry.id and metadata, read under the workspace's RLS. */
export interface NumberMeta {
  wabaId: string;
  phoneNumberId: string;
  displayNumber: string | null;
}

/** Per message id: its number. Only the workspace's own numbers are visible. */
export async function numbersOf(tx: Tx, messageIds: string[]): Promise<Map<string, NumberMeta>> {
  const ids = [...new Set(messageIds)];
  if (!ids.length) return new Map();
  const rows = await tx.execute<{ id: string; waba_id: string; phone_number_id: string; display_number: string | null }>(sql`
    select m.id, n.waba_id, n.phone_number_id, n.display_number from messages m
    join whatsapp_numbers n on n.id = m.whatsapp_number_id and n.workspace_id = m.workspace_id
    where m.id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb))`);
  return new Map(rows.map((r) => [r.id, { wabaId: r.waba_id, phoneNumberId: r.phone_number_id, displayNumber: r.display_number }]));
}

/** The client's own biz_opaque_callback_data, or none: Sandesh's mark never reaches the client. */
function withoutMark(status: Record<string, unknown>): Record<string, unknown> {
  if (!("biz_opaque_callback_data" in status)) return status;
  const { biz_opaque_callback_data: tagged, ...rest } = status;
  const own = readTag(tagged).clientValue;
  return own === undefined ? rest : { ...rest, biz_opaque_callback_data: own };
}

/**
 * Meta's `sent` status for a send Meta answered. Sandesh records that answer as Meta's
 * own `sent` (the webhook that follows is a duplicate and forwards nothing), so the
 * status is written here, in Meta's fields, from what Meta answered and the client sent;
 * conversation and pricing come with `delivered`.
 */
export function sentStatus(wamid: string, at: Date, recipient: string, payload: Record<string, unknown>): Record<string, unknown> {
  const own = payload.biz_opaque_callback_data;
  return {
    id: wamid,
    status: "sent",
    timestamp: String(Math.floor(at.getTime() / 1000)),
    ...(/^\d+$/.test(recipient) ? { recipient_id: recipient } : {}),
    ...(typeof own === "string" ? { biz_opaque_callback_data: own } : {}),
  };
}

/** The body for a meta-format endpoint, or null when the event has no Meta shape. */
export function metaBody(origin: MetaOrigin | undefined, n: NumberMeta | undefined): string | null {
  if (!origin || !n || !(origin.status || origin.message)) return null;
  // Meta's metadata carries the number as digits only; the ingest's own copy wins.
  const display = origin.displayPhoneNumber ?? (n.displayNumber ?? "").replace(/\D/g, "");
  const value: Record<string, unknown> = { messaging_product: "whatsapp", metadata: { display_phone_number: display, phone_number_id: n.phoneNumberId } };
  if (origin.status) value.statuses = [withoutMark(origin.status)];
  else {
    if (origin.contact) value.contacts = [origin.contact];
    value.messages = [origin.message];
  }
  return JSON.stringify({ object: "whatsapp_business_account", entry: [{ id: n.wabaId, changes: [{ value, field: "messages" }] }] });
}

/** metaBody's bodies begin so; a Standard Webhooks body begins `{"type":`. */
export const isMetaBody = (body: string) => body.startsWith('{"object":');

/** `sha256=<hex HMAC-SHA256>` of the raw body, keyed by the secret's text as Meta keys it by the app secret. */
export async function hubSignature(secret: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `sha256=${toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(body))))}`;
}
