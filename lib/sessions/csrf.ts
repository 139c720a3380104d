import { createHash } from "node:crypto";
import { timingSafeEqual } from "../crypto/encoding.js";

/**
 * A session's CSRF token, derived from the cookie's secret (a hash under another label
 * than the stored one): a page can only carry it if the server rendered it for this
 * session, it changes with every new session id, and nothing more is stored.
 */
export function csrfTokenFor(sessionToken: string): string {
  return createHash("sha256").update(`sandesh-csrf\0${sessionToken}`, "utf8").digest("base64url");
}

export const csrfMatches = (expected: string, given: string | undefined | null): boolean =>
  typeof given === "string" && given.length > 0 && timingSafeEqual(expected, given);
