import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { auditFactor, type FactorActor } from "./actor.js";
import { totpNotEnabled } from "./errors.js";
import { requireFreshFactor } from "./fresh.js";
import { replaceRecoveryCodes } from "./recovery-codes.js";
import { readTotp } from "./totp-check.js";
import type { FactorProof } from "./verify.js";

/** Ten new recovery codes, shown this once; every earlier one stops working. */
export async function regenerateRecoveryCodes(s: Services, who: FactorActor, proof: FactorProof | null, secondFactorAt: Date | null): Promise<{ recovery_codes: string[] }> {
  await requireFreshFactor(s, who, proof, secondFactorAt);
  return withUser(s.db, who.userId, async (tx) => {
    if (!(await readTotp(tx, who.userId))?.confirmedAt) throw totpNotEnabled();
    const recovery_codes = await replaceRecoveryCodes(s, tx, who.userId);
    await auditFactor(s, tx, who, "recovery_codes.regenerated");
    return { recovery_codes };
  });
}
