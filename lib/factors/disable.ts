import { eq } from "drizzle-orm";
import { recoveryCodes, userTotp } from "../../db/schema/index.js";
import { withUser } from "../../db/tenant.js";
import type { Services } from "../context.js";
import { auditFactor, type FactorActor } from "./actor.js";
import { totpNotEnabled } from "./errors.js";
import { requireFreshFactor } from "./fresh.js";
import { readTotp } from "./totp-check.js";
import type { FactorProof } from "./verify.js";

/**
 * Removes the authenticator app and its recovery codes (the sealed secret is deleted,
 * not kept). A pending set-up is cancelled without a code: it never counted.
 */
export async function disableTotp(s: Services, who: FactorActor, proof: FactorProof | null, secondFactorAt: Date | null): Promise<void> {
  const current = await withUser(s.db, who.userId, (tx) => readTotp(tx, who.userId));
  if (!current) throw totpNotEnabled();
  if (current.confirmedAt) await requireFreshFactor(s, who, proof, secondFactorAt);
  await withUser(s.db, who.userId, async (tx) => {
    await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, who.userId));
    await tx.delete(userTotp).where(eq(userTotp.userId, who.userId));
    await auditFactor(s, tx, who, current.confirmedAt ? "totp.disabled" : "totp.enrolment_cancelled");
  });
}
