import { createHash } from "node:crypto";

/** The Google account a person picks on the consent page (or a test names). */
export interface DevAccount {
  email: string;
  email_verified: boolean;
  /** Google's stable id of the account: 21 digits. Derived from the email when not given. */
  sub: string;
  name?: string;
  /** A Google Workspace account's domain. */
  hd?: string;
}

/**
 * The same email always gets the same `sub`, across restarts of the issuer, so an
 * identity linked in one run of `npm start` signs in in the next. Real Google keeps
 * `sub` when the email changes; a test gets that by naming `sub` itself.
 */
export function subjectFor(email: string): string {
  const digest = createHash("sha256").update(email.trim().toLowerCase()).digest();
  const n = digest.readBigUInt64BE(0) * 1000n + BigInt(digest.readUInt16BE(8) % 1000);
  return `1${(n % 10n ** 20n).toString().padStart(20, "0")}`;
}

export function accountOf(input: { email: string; email_verified?: boolean; sub?: string; name?: string; hd?: string }): DevAccount {
  const email = input.email.trim();
  return {
    email,
    email_verified: input.email_verified ?? true,
    sub: input.sub?.trim() || subjectFor(email),
    ...(input.name ? { name: input.name } : {}),
    ...(input.hd ? { hd: input.hd } : {}),
  };
}
