import { seesWholeNumbers, type Principal } from "./principal.js";

/**
 * Phone masking, in one place. Serializers (the message, contact and recipient views,
 * the Graph answer) do not decide who sees what: they mark a contact's number with
 * `phone(…)` and a blob in Meta's shape (a message's content, a dead letter's item) with
 * `phoneBearing(…)`. What a principal is shown is decided here, when the answer is
 * rendered (functions/middleware/phones.ts for JSON, `phoneView` for CSV exports and
 * the dashboard, `maskWebhookBody` for outgoing webhooks). A marker serialized any other
 * way (a log line, an audit detail) comes out masked: forgetting is safe.
 *
 * `+91 98••• ••210`: the country code and the national number's first two and last
 * three digits stay, so a person can still tell numbers apart and recognise their own.
 *
 * A WhatsApp message id (wamid) is base64 of a record that holds the customer's number,
 * so it is masked with the numbers: `wamid(…)` marks one, and every string in a
 * phone-bearing blob that reads `wamid.…` is one. A masked principal is shown
 * `wamid.masked.<22 base64url>`, a keyed digest (Vault.wamidDigest) that stays the same
 * across answers, exports and webhooks, so messages and their statuses still correlate.
 */

// ITU-T E.164 country codes are a prefix code: 1 and 7 alone, these of two digits, the rest three.
const TWO_DIGIT_CODES = new Set([20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98]);
const countryCodeLength = (d: string) => (d[0] === "1" || d[0] === "7" ? 1 : TWO_DIGIT_CODES.has(Number(d.slice(0, 2))) ? 2 : 3);
const DOT = "•";
/** A value that reads as a phone number: 6 to 15 digits, an optional +, spaces or dashes between. */
const PHONE_LIKE = /^\+?[\d\s-]{6,20}$/;

export function maskPhone(value: string): string {
  if (!PHONE_LIKE.test(value)) return value; // a business-scoped user id, a group id: not a number
  const d = value.replace(/\D/g, "");
  if (d.length < 6 || d.length > 15) return value;
  const cc = d.slice(0, countryCodeLength(d));
  const national = d.slice(cc.length);
  const n = national.length;
  // Short national numbers keep less: never more than half of the digits shown.
  const head = n >= 8 ? 2 : n >= 6 ? 1 : 0;
  const tail = n >= 8 ? 3 : 2;
  const shown = [...national].map((ch, i) => (i < head || i >= n - tail ? ch : DOT)).join("");
  const half = Math.ceil(n / 2);
  return `+${cc} ${shown.slice(0, half)} ${shown.slice(half)}`;
}

/** How a masked principal is shown a wamid, for one workspace: its keyed digest. */
export type WamidMask = (wamid: string) => string;
export const MASKED_WAMID_PREFIX = "wamid.masked.";
const WAMID_LIKE = /^wamid\./;
const WAMID_RUN = /wamid\.(?:masked\.)?[A-Za-z0-9+/=_-]+/g;

/** The workspace's wamid mask; a wamid already a digest (an erased contact's, lib/principals/erase.ts) stays. */
export function wamidMask(vault: { wamidDigest(workspaceId: string, wamid: string): string }, workspaceId: string): WamidMask {
  return (w) => (w.startsWith(MASKED_WAMID_PREFIX) ? w : `${MASKED_WAMID_PREFIX}${vault.wamidDigest(workspaceId, w)}`);
}

/** A message's wamid in an answer: whole for a principal who sees whole numbers, its digest otherwise. */
export class Wamid {
  constructor(
    readonly value: string,
    readonly mask: WamidMask,
  ) {}
  toJSON(): string {
    return this.mask(this.value);
  }
  toString(): string {
    return this.mask(this.value);
  }
}
export const wamid = (value: string | null, mask: WamidMask): Wamid | null => (value === null ? null : new Wamid(value, mask));

/** A contact's phone number in an answer. */
export class Phone {
  constructor(readonly value: string) {}
  toJSON(): string {
    return maskPhone(this.value);
  }
  toString(): string {
    return maskPhone(this.value);
  }
}
export function phone(value: string): Phone;
export function phone(value: string | null): Phone | null;
export function phone(value: string | null): Phone | null {
  return value === null ? null : new Phone(value);
}

/**
 * The keys under which Meta's shapes carry a person's number: a send body's `to`, an
 * inbound message's `from`, a contact's `wa_id`, a status's `recipient_id`, a shared
 * contact card's `phone`, the Graph answer's `input`. `metadata` (the business's own
 * number) is left alone.
 */
const META_PHONE_KEYS = new Set(["to", "from", "wa_id", "recipient_id", "phone", "input", "recipient"]);
const META_KEPT = new Set(["metadata"]);

/** Every number under Meta's phone keys and every wamid (under any key), masked; everything else as it was. */
export function maskMetaShaped(value: unknown, wamids: WamidMask, depth = 0): unknown {
  if (typeof value === "string") return WAMID_LIKE.test(value) ? wamids(value) : value;
  if (depth > 64) return value;
  if (Array.isArray(value)) return value.map((v) => maskMetaShaped(v, wamids, depth + 1));
  if (!value || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = META_KEPT.has(k) ? v : META_PHONE_KEYS.has(k) && typeof v === "string" && !WAMID_LIKE.test(v) ? maskPhone(v) : maskMetaShaped(v, wamids, depth + 1);
  }
  return out;
}

/** A blob in Meta's shape (or its JSON text) whose numbers are a contact's. */
export class PhoneBearing {
  constructor(
    readonly value: unknown,
    readonly wamids: WamidMask,
  ) {}
  toJSON(): unknown {
    return masked(this.value, this.wamids);
  }
}
export const phoneBearing = (value: unknown, wamids: WamidMask) => new PhoneBearing(value, wamids);

const DIGIT_RUN = /\+?\d{7,15}/g;
function masked(value: unknown, wamids: WamidMask): unknown {
  if (typeof value !== "string") return maskMetaShaped(value, wamids);
  try {
    return JSON.stringify(maskMetaShaped(JSON.parse(value), wamids));
  } catch {
    // Cut short (a dead letter's item is kept to 16 KiB): every wamid and long digit run, to be safe.
    return value.replace(WAMID_RUN, (m) => wamids(m)).replace(DIGIT_RUN, (m) => maskPhone(m));
  }
}

/** An answer ready for JSON.stringify: markers become whole or masked numbers. */
export function presentPhones(value: unknown, whole: boolean, depth = 0): unknown {
  if (value instanceof Phone) return whole ? value.value : maskPhone(value.value);
  if (value instanceof Wamid) return whole ? value.value : value.mask(value.value);
  if (value instanceof PhoneBearing) return whole ? value.value : masked(value.value, value.wamids);
  if (depth > 64 || !value || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => presentPhones(v, whole, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value; // a Date, a Uint8Array: as JSON has it
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = presentPhones(v, whole, depth + 1);
  return out;
}

/** How one principal is shown a number: whole, or masked. */
export type PhoneView = (value: string) => string;
const wholeView: PhoneView = (v) => v;
export const phoneView = (p: Principal | undefined): PhoneView => (p && seesWholeNumbers(p) ? wholeView : maskPhone);

/**
 * An outgoing webhook body for an endpoint that masks: a Standard Webhooks body's
 * `data` (its `to` is the business's phone-number id on message.received, a contact
 * elsewhere) or Meta's envelope (its `metadata` kept).
 */
export function maskWebhookBody(body: string, wamids: WamidMask): string {
  const parsed = JSON.parse(body) as { type?: string; data?: Record<string, unknown> };
  if (parsed.type && parsed.data && typeof parsed.data === "object") {
    const { to, ...rest } = parsed.data;
    const data = maskMetaShaped(rest, wamids) as Record<string, unknown>;
    if (to !== undefined) data.to = parsed.type === "message.received" || typeof to !== "string" ? to : maskPhone(to);
    return JSON.stringify({ ...parsed, data: Object.fromEntries(Object.keys(parsed.data).map((k) => [k, data[k]])) });
  }
  return JSON.stringify(maskMetaShaped(parsed, wamids));
}
