import { and, eq, isNull, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.js";
import { recoveryCodes } from "../../db/schema/index.js";
import type { Services } from "../context.js";
import { newRecoveryCode, normaliseRecoveryCode, RECOVERY_CODE_COUNT, recoveryCodeHash } from "./recovery-code.js";

/** A fresh set: every earlier code of the person stops working in the same transaction. */
export async function replaceRecoveryCodes(s: Services, tx: Tx, userId: string): Promise<string[]> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  const rows = await Promise.all(codes.map(async (c) => ({ userId, codeHash: await recoveryCodeHash(userId, normaliseRecoveryCode(c)!), createdAt: s.clock.now() })));
  await tx.insert(recoveryCodes).values(rows);
  return codes;
}

/** Spends one code: true only for an unused code of this person, and only once, even when two requests race. */
export async function spendRecoveryCode(s: Services, tx: Tx, userId: string, input: string): Promise<boolean> {
  const normalised = normaliseRecoveryCode(input);
  if (!normalised) return false;
  const spent = await tx
    .update(recoveryCodes)
    .set({ usedAt: s.clock.now() })
    .where(and(eq(recoveryCodes.userId, userId), eq(recoveryCodes.codeHash, await recoveryCodeHash(userId, normalised)), isNull(recoveryCodes.usedAt)))
    .returning({ id: recoveryCodes.id });
  return spent.length === 1;
}

export async function recoveryCodesLeft(tx: Tx, userId: string): Promise<number> {
  const [r] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return r?.n ?? 0;
}
