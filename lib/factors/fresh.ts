import type { Services } from "../context.js";
import type { FactorActor } from "./actor.js";
import { stepUpRequired } from "./errors.js";
import { verifySecondFactor, type FactorProof } from "./verify.js";

/** A second factor proven this recently stands for a code on the changes below. */
export const STEP_UP_FRESH_MS = 10 * 60_000;

/**
 * Changing the factors themselves (new recovery codes, disabling TOTP) needs a code
 * now, or a step-up in the last ten minutes: a session left open on someone's desk
 * cannot switch the second factor off.
 */
export async function requireFreshFactor(s: Services, who: FactorActor, proof: FactorProof | null, secondFactorAt: Date | null): Promise<void> {
  if (proof) {
    await verifySecondFactor(s, who, proof);
    return;
  }
  if (secondFactorAt && s.clock.now().getTime() - secondFactorAt.getTime() <= STEP_UP_FRESH_MS) return;
  throw stepUpRequired();
}
