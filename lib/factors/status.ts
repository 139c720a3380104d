import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { recoveryCodesLeft } from "./recovery-codes.js";
import { readTotp } from "./totp-check.js";

export interface FactorStatus {
  /** none: never set up; pending: set up started, waiting for its first code; enabled: counts as a second factor. */
  totp: "none" | "pending" | "enabled";
  totp_enabled_at: string | null;
  recovery_codes_left: number;
}

/** What the security page shows: never the secret, never a code. */
export async function factorStatus(s: Services, userId: string): Promise<FactorStatus> {
  return withUser(s.db, userId, async (tx) => {
    const row = await readTotp(tx, userId);
    return {
      totp: !row ? "none" : row.confirmedAt ? "enabled" : "pending",
      totp_enabled_at: row?.confirmedAt?.toISOString() ?? null,
      recovery_codes_left: row?.confirmedAt ? await recoveryCodesLeft(tx, userId) : 0,
    };
  });
}
