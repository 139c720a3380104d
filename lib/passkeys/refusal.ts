import { AppError } from "../errors.js";

/**
 * Why a ceremony was refused, for the audit log and the structured log only. The caller
 * is told no more than "not accepted": which check failed helps an attacker, not a person
 * (their browser already did everything it could).
 */
export type RefusalReason =
  | "malformed_response"
  | "challenge_unknown"
  | "challenge_expired"
  | "challenge_other_ceremony"
  | "challenge_other_subject"
  | "wrong_type"
  | "wrong_origin"
  | "wrong_rp_id"
  | "user_not_present"
  | "user_not_verified"
  | "bad_signature"
  | "counter_went_backwards"
  | "backup_eligibility_changed"
  | "unknown_credential"
  | "user_handle_mismatch"
  | "user_disabled"
  | "credential_already_registered"
  | "unsupported_algorithm"
  | "unverified";

export class PasskeyRefusal extends Error {
  constructor(readonly reason: RefusalReason) {
    super(`passkey refused: ${reason}`);
    this.name = "PasskeyRefusal";
  }
}

/** The one answer a refused ceremony gets. */
export const passkeyRefused = () => new AppError(401, "passkey_refused", "The passkey was not accepted; start again");

/**
 * @simplewebauthn/server reports every failed check as an Error whose message quotes the
 * values it compared (the challenge among them): the message is read here, once, into a
 * reason, and goes no further — not into a log, an error or a response.
 */
export function reasonOf(err: unknown): RefusalReason {
  if (err instanceof PasskeyRefusal) return err.reason;
  const m = err instanceof Error ? err.message : "";
  if (/registration response type|authentication response type/i.test(m)) return "wrong_type";
  if (/origin/i.test(m)) return "wrong_origin";
  if (/RP ID/i.test(m)) return "wrong_rp_id";
  if (/user verification/i.test(m)) return "user_not_verified";
  if (/user presence|not present/i.test(m)) return "user_not_present";
  if (/counter/i.test(m)) return "counter_went_backwards";
  if (/challenge/i.test(m)) return "challenge_unknown";
  if (/public key alg|unsupported/i.test(m)) return "unsupported_algorithm";
  if (/signature/i.test(m)) return "bad_signature";
  return "malformed_response";
}

/** Runs one of the library's verifications: whatever it throws becomes a reason, and only that. */
export async function refusing<T>(verify: () => Promise<T>): Promise<T> {
  try {
    return await verify();
  } catch (err) {
    throw new PasskeyRefusal(reasonOf(err));
  }
}
