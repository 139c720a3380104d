import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { userTotp } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { matchStep } from "./totp.js";
import { sealedSecret, totpSecretField } from "./totp-field.js";

/**
 * Checks a code against the person's row (locked by the caller) and spends its time
 * step: true only if the code is right for a step after the last one used. The update
 * is conditional as well as locked, so one code is accepted once however requests race.
 * The secret is opened here, used, and dropped: it never leaves this function.
 */
export async function spendTotpCode(s: Services, tx: Tx, row: typeof userTotp.$inferSelect, code: string): Promise<boolean> {
  const secret = await s.vault.open(sealedSecret(row), totpSecretField(row.userId));
  const step = matchStep(secret, code, s.clock.now());
  if (step === null || (row.lastUsedStep !== null && step <= row.lastUsedStep)) return false;
  const spent = await tx
    .update(userTotp)
    .set({ lastUsedStep: step, updatedAt: s.clock.now() })
    .where(and(eq(userTotp.userId, row.userId), or(isNull(userTotp.lastUsedStep), lt(userTotp.lastUsedStep, step))))
    .returning({ userId: userTotp.userId });
  return spent.length === 1;
}

/** The person's TOTP row, locked for the check that follows. */
export async function lockTotp(tx: Tx, userId: string): Promise<typeof userTotp.$inferSelect | undefined> {
  const [row] = await tx.select().from(userTotp).where(eq(userTotp.userId, userId)).for("update");
  return row;
}

export async function readTotp(tx: Tx, userId: string): Promise<typeof userTotp.$inferSelect | undefined> {
  const [row] = await tx.select().from(userTotp).where(eq(userTotp.userId, userId));
  return row;
}
