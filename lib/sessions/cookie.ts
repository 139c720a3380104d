import { SESSION_COOKIE } from "./auth.js";

/**
 * `__Host-`: the browser accepts it only Secure, with Path=/ and no Domain, so no other
 * host or path can set or shadow it. Secure even on http://localhost, which browsers
 * treat as a secure context. Lax keeps it off cross-site POSTs (the CSRF token and the
 * Origin check are the other two locks).
 */
export const sessionSetCookie = (token: string, maxAgeS: number) =>
  `${SESSION_COOKIE}=${token}; Max-Age=${maxAgeS}; Path=/; HttpOnly; Secure; SameSite=Lax`;

export const clearSessionCookie = () => `${SESSION_COOKIE}=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax`;

/** The session cookie's value from a Cookie header; the first one named so wins. */
export function readSessionCookie(header: string | undefined | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}
