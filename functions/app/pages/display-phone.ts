import type { SessionAuth } from "../../../lib/sessions/auth.js";

/**
 * Every phone number a page shows goes through here, so what a viewer may see of a
 * number (masking by role) is decided in one place. Numbers are stored as digits
 * (E.164 without "+"); they are grouped the way people write them: India's
 * +91 98123 45678, North America's +1 415 555 0123, otherwise +<digits>.
 */
export function displayPhone(_viewer: Pick<SessionAuth, "role"> | undefined, number: string | null | undefined): string {
  if (!number) return "—";
  const d = number.replace(/^\+/, "");
  if (!/^\d+$/.test(d)) return number;
  if (d.length === 12 && d.startsWith("91")) return `+91 ${d.slice(2, 7)} ${d.slice(7)}`;
  if (d.length === 11 && d.startsWith("1")) return `+1 ${d.slice(1, 4)} ${d.slice(4, 7)} ${d.slice(7)}`;
  return `+${d}`;
}
