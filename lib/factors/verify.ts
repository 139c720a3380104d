import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { validationFailed } from "../errors.js";
import { auditFactor, type FactorActor } from "./actor.js";
import { refundFactorAttempt, takeFactorAttempt } from "./attempts.js";
import { invalidSecondFactor, totpNotEnabled } from "./errors.js";
import { recoveryCodesLeft, spendRecoveryCode } from "./recovery-codes.js";
import { lockTotp, spendTotpCode } from "./totp-check.js";

/** A code from the authenticator app, or one of the recovery codes: exactly one. */
export type FactorProof = { code: string; recoveryCode?: undefined } | { recoveryCode: string; code?: undefined };

export interface VerifiedFactor {
  method: "totp" | "recovery_code";
  recovery_codes_left: number;
}

/** Reads `code` / `recovery_code` from a parsed body (JSON or form); a 422 when neither or both. */
export function factorProofFrom(body: Record<string, unknown>): FactorProof {
  const str = (k: string) => (typeof body[k] === "string" && (body[k] as string).trim() !== "" ? (body[k] as string).replace(/\s/g, "") : undefined);
  const code = str("code");
  const recoveryCode = str("recovery_code");
  if (code && !recoveryCode) return { code };
  if (recoveryCode && !code) return { recoveryCode };
  throw validationFailed([{ field: "code", message: "give either `code` (6 digits from the app) or `recovery_code`" }], "A second-factor code is required");
}

/**
 * Checks a second factor of a person whose TOTP is set up. Every attempt counts against
 * the person first (lib/factors/attempts.ts); a right one is refunded. A wrong code, a
 * spent time step and a spent recovery code are the same 400 (invalid_second_factor).
 */
export async function verifySecondFactor(s: Services, who: FactorActor, proof: FactorProof): Promise<VerifiedFactor> {
  await takeFactorAttempt(s, who.userId);
  const method = proof.code !== undefined ? "totp" : "recovery_code";
  const result = await withUser(s.db, who.userId, async (tx) => {
    const row = await lockTotp(tx, who.userId);
    if (!row?.confirmedAt) throw totpNotEnabled();
    const ok = proof.code !== undefined ? await spendTotpCode(s, tx, row, proof.code) : await spendRecoveryCode(s, tx, who.userId, proof.recoveryCode);
    if (!ok) return null;
    const left = await recoveryCodesLeft(tx, who.userId);
    await auditFactor(s, tx, who, method === "totp" ? "second_factor.verified" : "recovery_code.used", { method, recovery_codes_left: left });
    return { method, recovery_codes_left: left } as const;
  });
  if (!result) {
    await withUser(s.db, who.userId, (tx) => auditFactor(s, tx, who, "second_factor.failed", { method }));
    throw invalidSecondFactor();
  }
  await refundFactorAttempt(s, who.userId);
  return result;
}
