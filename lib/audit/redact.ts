import { redactString } from "../logger.js";

/**
 * The one place secrets leave an audit entry's details (its before/after diff), whoever
 * wrote the entry. A field is removed by its name: the last word of the name (snake_case,
 * camelCase or kebab-case) says what it holds, so `token`, `meta_token`, `totpSecret`,
 * `recovery_codes`, `token_ciphertext` go, while `previous_secret_expires_at` (a time)
 * and `key_prefix` (shown in listings) stay. Values are also scrubbed of anything shaped
 * like a credential (API keys, webhook secrets, session and invitation tokens, Meta
 * tokens, JWTs: the logger's patterns), and raw bytes (a sealed field) never go in.
 */
const SECRET_WORDS = new Set([
  "token", "tokens", "secret", "secrets", "key", "keys", "code", "codes", "password", "passwords",
  "passphrase", "otp", "totp", "pin", "ciphertext", "plaintext", "cookie", "authorization",
  "challenge", "verifier", "csrf", "kek", "seed",
]);

export const REDACTED = "[redacted]";

function lastWord(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase().split(/[_\-\s.]+/).filter(Boolean);
  return words[words.length - 1] ?? "";
}

export const isSecretField = (name: string): boolean => SECRET_WORDS.has(lastWord(name));

export function redactDetails(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[deep]";
  if (typeof value === "string") return redactString(value);
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) return REDACTED;
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map((v) => redactDetails(v, depth + 1));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v === undefined) continue;
      out[k] = isSecretField(k) ? REDACTED : redactDetails(v, depth + 1);
    }
    return out;
  }
  return value;
}
