import { maskPhone, Phone, presentPhones, type PhoneView, type Wamid } from "../../../lib/permissions/phones.js";
import type { SessionAuth } from "../../../lib/sessions/auth.js";

/**
 * Every phone number a page shows goes through here. Whether the viewer sees it whole
 * is not decided here but by lib/permissions (the page's `facts.phones`, from the
 * request's principal: role and the membership's unmasked grant); given only a session,
 * owners and admins see numbers whole, everyone else masked. Whole numbers are stored
 * as digits (E.164 without "+") and grouped the way people write them: India's
 * +91 98123 45678, North America's +1 415 555 0123, otherwise +<digits>.
 */
export function displayPhone(viewer: { phones: PhoneView } | Pick<SessionAuth, "role"> | undefined, number: string | Phone | null | undefined): string {
  const value = number instanceof Phone ? number.value : number;
  if (!value) return "—";
  const view: PhoneView = viewer && "phones" in viewer ? viewer.phones : viewer?.role === "owner" || viewer?.role === "admin" ? (v) => v : maskPhone;
  const shown = view(value);
  return shown !== value ? shown : groupPhone(value);
}

/** A whole number as people write it (the grouping above); anything not digits as it is. */
function groupPhone(value: string): string {
  const d = value.replace(/^\+/, "");
  if (!/^\d+$/.test(d)) return value;
  if (d.length === 12 && d.startsWith("91")) return `+91 ${d.slice(2, 7)} ${d.slice(7)}`;
  if (d.length === 11 && d.startsWith("1")) return `+1 ${d.slice(1, 4)} ${d.slice(4, 7)} ${d.slice(7)}`;
  return `+${d}`;
}

/** One of the workspace's own WhatsApp numbers (its display number): the business's, not a contact's, so never masked. */
export const displayBusinessPhone = (displayNumber: string | null | undefined): string => (displayNumber ? groupPhone(displayNumber) : "—");

/**
 * A message's side: a contact's number (a Phone, masked per the viewer) or one of the
 * workspace's numbers, named by its phone-number id: its display number when known.
 */
export function displayMessageSide(viewer: { phones: PhoneView }, displayNumbers: ReadonlyMap<string, string | null>, side: string | Phone | null): string {
  if (side instanceof Phone || side === null) return displayPhone(viewer, side);
  const display = displayNumbers.get(side);
  return display ? displayBusinessPhone(display) : side;
}

/** A message's content (Meta's shape) as the page shows it: its numbers as the viewer may see them. */
export const displayContent = (viewer: { phones: PhoneView }, content: unknown): string => JSON.stringify(presentPhones(content, viewer.phones !== maskPhone), null, 2);

/** A message's wamid as the page shows it: whole to a viewer of whole numbers, its keyed digest otherwise. */
export const displayWamid = (viewer: { phones: PhoneView }, w: Wamid): string => (viewer.phones !== maskPhone ? w.value : w.mask(w.value));
