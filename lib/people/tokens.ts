import { sha256Hex, toBase64Url } from "../crypto/encoding.js";

/**
 * One-time secrets handed to a person (an invitation link, a session cookie): 32 random
 * bytes, base64url, behind a short prefix so a leaked one is recognisable (and redacted
 * from logs, lib/logger.ts). Only the SHA-256 hex of the whole string is ever stored.
 */
export function randomToken(prefix: string): string {
  return prefix + toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

export const tokenPattern = (prefix: string) => new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`);
export const hashToken = sha256Hex;
