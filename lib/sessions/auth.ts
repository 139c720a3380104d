import type { Role } from "../people/roles.js";

/**
 * A signed-in browser, as every /app handler sees it (c.get("session")). Built only from
 * the database's answer for the cookie's hash on this very request (lookup.ts): there is
 * no cache of sessions anywhere, so a revocation is refused on the next request in
 * every process.
 */
export type SessionAuth = {
  sessionId: string;
  userId: string;
  email: string;
  /** The workspace the person works in; null when they belong to none (or no longer to it). */
  workspaceId: string | null;
  role: Role | null;
  /** Goes in every state-changing request: header X-CSRF-Token or form field `csrf`. */
  csrfToken: string;
  method: "passkey" | "google";
  userVerified: boolean;
  secondFactorAt: Date | null;
};

export type SignInMethod = SessionAuth["method"];

export const SESSION_COOKIE = "__Host-sandesh_session";
export const SESSION_PREFIX = "ses_";
/** Idle expiry: a session not used for this long is over. */
export const IDLE_MS = 12 * 3600 * 1000;
/** Absolute expiry: however busy, a session ends this long after sign-in. */
export const ABSOLUTE_MS = 7 * 24 * 3600 * 1000;
/** last_seen_at is written at most this often per session (the idle clock's resolution). */
export const TOUCH_EVERY_MS = 60 * 1000;
