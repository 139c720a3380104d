import { sha256Hex } from "../crypto/encoding.js";

/**
 * Recovery codes: what a person types when the phone with the authenticator is gone.
 * Sixteen characters of Crockford's base32 (no i, l, o, u: nothing to misread) are 80
 * random bits, so a plain salted SHA-256 is enough to store them: there is no small
 * space to search, unlike a password. Shown as four groups of four.
 */
export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const LENGTH = 16;

export function newRecoveryCode(): string {
  // 32 symbols: each random byte's low five bits are uniform, no rejection needed.
  const bytes = crypto.getRandomValues(new Uint8Array(LENGTH));
  const raw = [...bytes].map((b) => ALPHABET[b & 31]).join("");
  return raw.match(/.{4}/g)!.join("-");
}

/** What was typed, as it was generated: case, spaces and dashes do not matter; i/l read as 1, o as 0. */
export function normaliseRecoveryCode(input: string): string | null {
  const s = input.toLowerCase().replace(/[\s-]/g, "").replace(/[il]/g, "1").replace(/o/g, "0");
  return s.length === LENGTH && [...s].every((ch) => ALPHABET.includes(ch)) ? s : null;
}

/** Salted with the user and a purpose: one person's hash says nothing about another's. */
export const recoveryCodeHash = (userId: string, normalised: string) => sha256Hex(`sandesh/recovery-code/v1|${userId}|${normalised}`);
