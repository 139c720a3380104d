import type { FieldError } from "../storable.js";

/**
 * Who a message goes to, as Meta reads the body: a phone number (`to`), a group
 * (`recipient_type: "group"`, `to` = the group's id), or a business-scoped user id
 * (`recipient`, for users who chose a username). When both `to` and `recipient` are
 * given, `to` wins, as at Meta. `id` is what Sandesh keys windows, opt-outs and tier
 * counts on: the phone number's digits, the group id or the user id.
 */
export interface Recipient {
  kind: "phone" | "group" | "user";
  id: string;
}

const PHONE_CHARS = /^\+?[\d\s\-().]+$/;
const PHONE_MESSAGE = "must be a phone number in international format: digits, optional leading +, 7 to 15 digits";
/** ISO country code, a dot, up to 128 letters and digits; a parent id has ENT between. */
const USER_ID = /^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$/;
const GROUP_ID = /^[\x21-\x7e]{1,128}$/;

type Result = { ok: true; value: Recipient } | { ok: false; error: FieldError };
const fail = (field: string, message: string): Result => ({ ok: false, error: { field, message } });

export function recipientOf(body: Record<string, unknown>): Result {
  const { to, recipient } = body;
  if (body.recipient_type === "group") {
    if (to == null) return fail("to", "is required: the group's id");
    if (typeof to !== "string") return fail("to", "must be a string");
    return GROUP_ID.test(to) ? { ok: true, value: { kind: "group", id: to } } : fail("to", "must be a group id");
  }
  if (to != null) {
    if (typeof to !== "string") return fail("to", "must be a string");
    const digits = to.replace(/\D/g, "");
    if (!PHONE_CHARS.test(to) || digits.length < 7 || digits.length > 15 || digits.startsWith("0")) return fail("to", PHONE_MESSAGE);
    return { ok: true, value: { kind: "phone", id: digits } };
  }
  if (recipient != null) {
    if (typeof recipient !== "string") return fail("recipient", "must be a string");
    return USER_ID.test(recipient) ? { ok: true, value: { kind: "user", id: recipient } } : fail("recipient", "must be a business-scoped user id such as US.13491208655302741918");
  }
  return fail("to", "is required");
}
