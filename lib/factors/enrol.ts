import { eq } from "drizzle-orm";
import { userTotp } from "../../db/schema/index.js";
import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { auditFactor, type FactorActor } from "./actor.js";
import { refundFactorAttempt, takeFactorAttempt } from "./attempts.js";
import { invalidSecondFactor, noPendingEnrolment, totpAlreadyEnabled } from "./errors.js";
import { replaceRecoveryCodes } from "./recovery-codes.js";
import { newTotpSecret, otpauthUri } from "./totp.js";
import { lockTotp, spendTotpCode } from "./totp-check.js";
import { totpSecretField } from "./totp-field.js";

export const TOTP_ISSUER = "Sandesh";
/** A set-up not confirmed within this long is stale: the QR code may have been seen on a screen since. */
export const PENDING_ENROLMENT_MS = 15 * 60_000;

export interface TotpEnrolment {
  /** Shown this once, as a QR code and as text; never again (only its sealed form is kept). */
  otpauth_uri: string;
  secret: string;
  expires_at: string;
}

/**
 * Starts (or restarts) setting up an authenticator app: a new secret, sealed, waiting
 * for its first code. It does not count as a second factor until confirmTotp.
 */
export async function startTotpEnrolment(s: Services, who: FactorActor): Promise<TotpEnrolment> {
  const secret = newTotpSecret();
  const sealed = await s.vault.seal(secret, totpSecretField(who.userId));
  const now = s.clock.now();
  await withUser(s.db, who.userId, async (tx) => {
    const existing = await lockTotp(tx, who.userId);
    if (existing?.confirmedAt) throw totpAlreadyEnabled();
    const values = {
      secretCiphertext: sealed.ciphertext,
      secretIv: sealed.iv,
      secretTag: sealed.tag,
      secretKeyVersion: sealed.keyVersion,
      confirmedAt: null,
      lastUsedStep: null,
      createdAt: now,
      updatedAt: now,
    };
    if (existing) await tx.update(userTotp).set(values).where(eq(userTotp.userId, who.userId));
    else await tx.insert(userTotp).values({ userId: who.userId, ...values });
    await auditFactor(s, tx, who, "totp.enrolment_started");
  });
  return {
    otpauth_uri: otpauthUri(secret, { issuer: TOTP_ISSUER, label: who.email }),
    secret,
    expires_at: new Date(now.getTime() + PENDING_ENROLMENT_MS).toISOString(),
  };
}

/**
 * The first valid code proves the app holds the secret: the factor counts from now, and
 * the person gets ten recovery codes, shown this once (only their hashes are kept).
 */
export async function confirmTotp(s: Services, who: FactorActor, code: string): Promise<{ recovery_codes: string[] }> {
  await takeFactorAttempt(s, who.userId);
  const result = await withUser(s.db, who.userId, async (tx) => {
    const row = await lockTotp(tx, who.userId);
    if (!row || row.confirmedAt) throw row ? totpAlreadyEnabled() : noPendingEnrolment();
    if (s.clock.now().getTime() - row.createdAt.getTime() > PENDING_ENROLMENT_MS) throw noPendingEnrolment();
    if (!(await spendTotpCode(s, tx, row, code))) return null;
    await tx.update(userTotp).set({ confirmedAt: s.clock.now() }).where(eq(userTotp.userId, who.userId));
    const recovery_codes = await replaceRecoveryCodes(s, tx, who.userId);
    await auditFactor(s, tx, who, "totp.enabled");
    return { recovery_codes };
  });
  if (!result) {
    await withUser(s.db, who.userId, (tx) => auditFactor(s, tx, who, "totp.failed", { during: "enrolment" }));
    throw invalidSecondFactor();
  }
  await refundFactorAttempt(s, who.userId);
  return result;
}
